// The provisioning recipe: a router whose `onTenantCreate` provisions the tenant's database,
// so that a tenant's first request creates it and then reads and writes it. Run three ways:
// against the loopback Turso Platform API with the tenant drivers on local files, against a
// real sqld with namespaces end to end (its admin API creates the namespace, the router
// reaches it at `http://{tenant}.localhost:PORT`), and through the kernel plugin's
// multi-tenant mode. Also LibsqlAdminAPI itself against that sqld.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
  createMultiTenantRouter,
  LibsqlAdminAPI,
  TursoDriver,
  TursoPlatformAPI,
  type MultiTenantConfig,
  type MultiTenantRouter,
} from '..';
import { kernelNodes, useKernels } from './support/kernel';
import { startSqld, type NamespacedSqld } from './support/sqld';
import { closedPort, startTursoApi, type TursoApiServer } from './support/turso-api';

const NOTE = { name: 'note', fields: { body: { type: 'text' } } };
const TOKEN = 'platform-token-for-tests';
const GROUP_TOKEN_IGNORED_BY_FILES = 'group-token';

let dir: string;
const routers: MultiTenantRouter[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provisioning-'));
});
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.destroyAll()));
  fs.rmSync(dir, { recursive: true, force: true });
});

function router(config: MultiTenantConfig): MultiTenantRouter {
  const made = createMultiTenantRouter(config);
  routers.push(made);
  return made;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('given the recipe against the loopback Turso Platform API', () => {
  let server: TursoApiServer;
  beforeEach(async () => {
    server = await startTursoApi({ org: 'acme-org', token: TOKEN });
  });
  afterEach(async () => {
    await server.close();
  });

  it("should provision a tenant's database on its first request, then read and write it", async () => {
    const api = new TursoPlatformAPI({ orgSlug: 'acme-org', apiToken: TOKEN, baseUrl: server.baseUrl });
    const r = router({
      // Turso Cloud: `libsql://{tenant}-acme-org.turso.io`; here each tenant is a local file.
      urlTemplate: `file:${dir}/{tenant}.db`,
      groupAuthToken: GROUP_TOKEN_IGNORED_BY_FILES,
      // The README's recipe, as written there (its resolved value is ignored).
      onTenantCreate: (tenantId) => api.ensureDatabase(tenantId, 'default'),
    });
    await r.syncSchema([NOTE]);

    const tenants = ['tenant-a', 'tenant-b'];
    // Several first requests of each tenant at once: one creation per tenant.
    await Promise.all(
      tenants.flatMap((tenant) =>
        [1, 2, 3].map(async (n) => {
          const d = await r.getDriverForTenant(tenant);
          await d.create('note', { body: `${tenant} ${n}` });
        }),
      ),
    );
    expect([...server.databases.keys()].sort()).toEqual(tenants);
    expect(server.databases.get('tenant-a')!.group).toBe('default');
    for (const tenant of tenants) {
      const d = await r.getDriverForTenant(tenant);
      const bodies = (await d.find('note', {})).map((row) => row.body).sort();
      expect(bodies).toEqual([1, 2, 3].map((n) => `${tenant} ${n}`));
      expect(fs.existsSync(path.join(dir, `${tenant}.db`))).toBe(true);
    }

    // A second router (another app replica) finds the databases made: no failure, no duplicate.
    const replica = router({
      urlTemplate: `file:${dir}/{tenant}.db`,
      onTenantCreate: async (tenantId) => {
        await api.ensureDatabase(tenantId, 'default');
      },
    });
    const again = await replica.getDriverForTenant('tenant-a');
    expect((await again.find('note', {})).length).toBe(3);
    expect(server.databases.size).toBe(2);
  });

  it('should fail the first request, cache nothing, and open nothing when provisioning fails', async () => {
    const api = new TursoPlatformAPI({
      orgSlug: 'acme-org',
      apiToken: TOKEN,
      baseUrl: server.baseUrl,
      retryBaseMs: 5,
      maxRetries: 1,
    });
    const r = router({
      urlTemplate: `file:${dir}/{tenant}.db`,
      failureCacheTTL: 0,
      onTenantCreate: async (tenantId) => {
        await api.ensureDatabase(tenantId);
      },
    });
    await r.syncSchema([NOTE]);
    server.fail({ status: 503, body: { error: 'maintenance' } });
    server.fail({ status: 503, body: { error: 'maintenance' } });
    const err = await rejection(r.getDriverForTenant('tenant-c'));
    expect(err.code).toBe('DRIVER_ERROR');
    expect(err.message).toContain('(503): maintenance');
    expect(r.getCacheSize()).toBe(0);
    expect(fs.existsSync(path.join(dir, 'tenant-c.db'))).toBe(false);

    // A tenant id the API refuses is refused before any request.
    const before = server.requests.length;
    expect((await rejection(r.getDriverForTenant('Tenant_C'))).code).toBe('INVALID_REQUEST');
    expect(server.requests.length).toBe(before);

    const d = await r.getDriverForTenant('tenant-c');
    await d.create('note', { body: 'after the outage' });
    expect(server.databases.has('tenant-c')).toBe(true);
  });
});

describe('given a real libSQL server with namespaces', () => {
  let sqld: NamespacedSqld;
  let admin: LibsqlAdminAPI;
  let seq = 0;
  const fresh = () => `p${process.pid % 1000}-${++seq}`;

  beforeAll(async () => {
    sqld = await startSqld([], { namespaces: true });
    admin = new LibsqlAdminAPI({ adminUrl: `http://127.0.0.1:${sqld.adminPort}/` });
  });
  afterAll(async () => {
    await sqld?.dispose();
  });

  it('should create, ensure, find and delete namespaces through the admin API', async () => {
    const ns = fresh();
    expect(admin.adminUrl).toBe(`http://127.0.0.1:${sqld.adminPort}`);
    expect(await admin.hasNamespace(ns)).toBe(false);
    await expect(admin.createNamespace(ns)).resolves.toBeUndefined();
    expect(await admin.hasNamespace(ns)).toBe(true);
    const again = await rejection(admin.createNamespace(ns));
    expect(again.code).toBe('ALREADY_EXISTS');
    expect(again.message).toContain('already exists');
    expect(again.message).toContain(`POST /v1/namespaces/${ns}/create`);
    await expect(admin.ensureNamespace(ns)).resolves.toEqual({ namespace: ns, created: false });
    await expect(admin.deleteNamespace(ns)).resolves.toBeUndefined();
    const gone = await rejection(admin.deleteNamespace(ns));
    expect(gone.code).toBe('NOT_FOUND');
    expect(gone.message).toContain("doesn't exist");
    await expect(admin.ensureNamespace(ns)).resolves.toEqual({ namespace: ns, created: true });
  });

  it('should end 50 concurrent ensureNamespace of one name with one namespace and 50 answers', async () => {
    const ns = fresh();
    const results = await Promise.all(Array.from({ length: 50 }, () => admin.ensureNamespace(ns)));
    expect(results).toHaveLength(50);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await admin.hasNamespace(ns)).toBe(true);
  });

  it('should refuse namespaces no Host name can reach, and bad configs', async () => {
    for (const bad of ['', 'a.b', '-a', 'a b', 'a/b', 'n'.repeat(64)]) {
      expect((await rejection(admin.createNamespace(bad))).code).toBe('INVALID_REQUEST');
    }
    for (const config of [{}, { adminUrl: '' }, { adminUrl: '127.0.0.1:8080' }, { adminUrl: 5 }]) {
      expect(() => new LibsqlAdminAPI(config as { adminUrl: string })).toThrow(
        expect.objectContaining({ code: 'CONFIG_ERROR' }),
      );
    }
    const port = await closedPort();
    const down = new LibsqlAdminAPI({ adminUrl: `http://127.0.0.1:${port}`, maxRetries: 0 });
    expect((await rejection(down.ensureNamespace('x1'))).code).toBe('DRIVER_CONNECTION_FAILED');
  });

  it("should provision a tenant's namespace on its first request, then read and write it, end to end", async () => {
    const tenants = [fresh(), fresh(), fresh()];
    const r = router({
      urlTemplate: sqld.namespaceUrl('{tenant}'),
      onTenantCreate: async (tenantId) => {
        await admin.ensureNamespace(tenantId);
      },
    });
    await r.syncSchema([NOTE]);
    await Promise.all(
      tenants.flatMap((tenant) =>
        [1, 2].map(async (n) => {
          const d = await r.getDriverForTenant(tenant);
          expect(d.transportMode).toBe('remote');
          await d.create('note', { body: `${tenant} ${n}` });
        }),
      ),
    );
    for (const tenant of tenants) {
      expect(await admin.hasNamespace(tenant)).toBe(true);
      const [listed] = (await sqld.pipeline(['SELECT body FROM note ORDER BY body'], tenant)) as Array<{
        result: { rows: Array<[{ value: string }]> };
      }>;
      expect(listed.result.rows.map(([body]) => body.value)).toEqual([`${tenant} 1`, `${tenant} 2`]);
      const d = await r.getDriverForTenant(tenant);
      expect((await d.find('note', {})).length).toBe(2);
    }
    // Alone it takes ~60 ms; once in a full run on the 2-core machine it outlasted 20 s.
  }, 60_000);
});

describe.each(kernelNodes())('given the kernel plugin in multi-tenant mode ($label)', ({ path: node }) => {
  const kernels = useKernels();
  let server: TursoApiServer;
  beforeEach(async () => {
    server = await startTursoApi({ org: 'acme-org', token: TOKEN });
  });
  afterEach(async () => {
    await server.close();
  });

  it("should provision a tenant's database on its first ql call, then read and write it", async () => {
    const at = kernels.dir();
    const k = await kernels.start({
      objects: [NOTE],
      node,
      plugin: {
        multiTenant: {
          urlTemplate: `file:${at}/{tenant}.db`,
          controlUrl: `file:${at}/control.db`,
          // The host (fixtures/kernel-host.js) makes this the recipe's onTenantCreate:
          // (tenantId) => new TursoPlatformAPI(turso).ensureDatabase(tenantId, group).
          provision: {
            turso: { orgSlug: 'acme-org', apiToken: TOKEN, baseUrl: server.baseUrl },
            group: 'default',
          },
        },
      },
    });
    const a = k.as({ tenantId: 'tenant-a' });
    const b = k.as({ tenantId: 'tenant-b' });
    await a.insert('note', { body: 'of a' });
    await b.insert('note', { body: 'of b' });
    expect([...server.databases.keys()].sort()).toEqual(['tenant-a', 'tenant-b']);
    expect((await a.find('note', {})).map((row: { body: string }) => row.body)).toEqual(['of a']);
    expect((await b.find('note', {})).map((row: { body: string }) => row.body)).toEqual(['of b']);

    const file = new TursoDriver({ url: `file:${at}/tenant-a.db` });
    try {
      const out = await file.execute('SELECT body FROM note');
      expect(out.rows.map((row) => row.body)).toEqual(['of a']);
    } finally {
      await file.disconnect();
    }
  });
});
