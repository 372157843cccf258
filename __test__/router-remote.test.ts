// Remote tenants on a real libSQL server: sqld with namespaces serves one database per
// namespace, chosen by the first label of the request's Host name, so
// `http://{tenant}.localhost:PORT` is a tenant's database on one server (the driver
// resolves `*.localhost` to loopback itself, see core/src/store/loopback.rs). Plain
// drivers first, then the router: many tenants on one server, a tenant whose namespace is
// missing, and an embedded replica per tenant. What each namespace holds is read back over
// sqld's own HTTP pipeline, outside the drivers.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
  createMultiTenantRouter,
  TursoDriver,
  type MultiTenantConfig,
  type MultiTenantRouter,
  type TursoDriverConfig,
} from '..';
import { startSqld, type NamespacedSqld } from './support/sqld';

const NOTE = { name: 'note', fields: { body: { type: 'text' } } };

let sqld: NamespacedSqld;
let dir: string;
const drivers: TursoDriver[] = [];
const routers: MultiTenantRouter[] = [];
/** Namespace names are unique per test, so no test sees another's data on the shared server. */
let seq = 0;

beforeAll(async () => {
  sqld = await startSqld([], { namespaces: true });
});
afterAll(async () => {
  await sqld?.dispose();
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-remote-'));
});
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.destroyAll()));
  await Promise.all(drivers.splice(0).map((d) => d.disconnect()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** `count` fresh namespaces on the server. */
async function namespaces(count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `ns${++seq}-${i}`);
  for (const name of names) await sqld.createNamespace(name);
  return names;
}

function driver(config: TursoDriverConfig): TursoDriver {
  const made = new TursoDriver(config);
  drivers.push(made);
  return made;
}

function router(config: MultiTenantConfig): MultiTenantRouter {
  const made = createMultiTenantRouter(config);
  routers.push(made);
  return made;
}

/** The `note` bodies stored in `namespace`, read by the server itself; null without the table. */
async function bodies(namespace: string): Promise<string[] | null> {
  const [tables] = (await sqld.pipeline(
    ["SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'note'"],
    namespace,
  )) as Array<{ result: { rows: unknown[] } }>;
  if (tables.result.rows.length === 0) return null;
  const [listed] = (await sqld.pipeline(['SELECT body FROM note ORDER BY body'], namespace)) as Array<{
    result: { rows: Array<[{ value: string }]> };
  }>;
  return listed.result.rows.map(([body]) => body.value);
}

describe('given plain drivers on two namespaces of one server', () => {
  it('should read and write only their own database', async () => {
    const [a, b] = await namespaces(2);
    const onA = driver({ url: sqld.namespaceUrl(a) });
    const onB = driver({ url: sqld.namespaceUrl(b) });
    await onA.init([NOTE]);
    await onB.init([NOTE]);
    await onA.create('note', { body: 'written to a' });
    await onB.create('note', { body: 'written to b' });
    await onB.create('note', { body: 'written to b again' });

    expect(await onA.find('note', {})).toEqual([expect.objectContaining({ body: 'written to a' })]);
    expect(await onB.count('note', {})).toBe(2);
    expect(await bodies(a)).toEqual(['written to a']);
    expect(await bodies(b)).toEqual(['written to b', 'written to b again']);
    // Nothing reached the default namespace (a bare `localhost`).
    expect(await bodies('default')).toBeNull();

    // A second driver on the same namespace sees the first one's writes.
    const againOnA = driver({ url: sqld.namespaceUrl(a) });
    await againOnA.connect();
    expect(await againOnA.find('note', {})).toEqual([expect.objectContaining({ body: 'written to a' })]);
  });

  it('should refuse a namespace the server does not have, naming it', async () => {
    const missing = driver({ url: sqld.namespaceUrl(`absent${++seq}`), timeout: 30_000 });
    await expect(missing.connect()).rejects.toMatchObject({
      code: 'DRIVER_CONNECTION_FAILED',
      message: expect.stringMatching(/Namespace `absent\d+` doesn't exist/),
    });
  });
});

describe('given a router whose tenants are namespaces of one server', () => {
  it('should serve 20 tenants, each in its own database, their namespaces made by onTenantCreate', async () => {
    const tenants = Array.from({ length: 20 }, (_, i) => `tenant${++seq}-${i}`);
    const created: string[] = [];
    const r = router({
      urlTemplate: sqld.namespaceUrl('{tenant}'),
      // Awaited before the tenant's database is opened: the place to provision it.
      onTenantCreate: async (id) => {
        created.push(id);
        await sqld.createNamespace(id);
      },
    });
    await r.syncSchema([NOTE]);
    await Promise.all(
      tenants.map(async (tenant) => {
        const d = await r.getDriverForTenant(tenant);
        expect(d.transportMode).toBe('remote');
        await d.create('note', { body: `of ${tenant}` });
      }),
    );
    expect(r.getCacheSize()).toBe(20);
    expect(created.sort()).toEqual([...tenants].sort());
    for (const tenant of tenants) {
      expect(await bodies(tenant)).toEqual([`of ${tenant}`]);
      const d = await r.getDriverForTenant(tenant);
      expect(await d.find('note', {})).toEqual([expect.objectContaining({ body: `of ${tenant}` })]);
    }
  });

  it('should fail a tenant without a namespace at once, cache the failure, and keep serving the others', async () => {
    const [present] = await namespaces(1);
    const ghost = `ghost${++seq}`;
    const attempts: string[] = [];
    const r = router({
      urlTemplate: sqld.namespaceUrl('{tenant}'),
      failureCacheTTL: 600_000,
      // Far longer than the test's own timeout: a rejection can only be the server's answer.
      driverConfigOverrides: { timeout: 600_000 },
      onTenantCreate: (id) => {
        attempts.push(id);
      },
    });
    await r.syncSchema([NOTE]);

    const first = await r.getDriverForTenant(ghost).catch((err: unknown) => err);
    expect(first).toMatchObject({
      code: 'DRIVER_CONNECTION_FAILED',
      message: expect.stringContaining(`Namespace \`${ghost}\` doesn't exist`),
    });
    expect((first as Error).message).not.toMatch(/did not answer within/);

    const d = await r.getDriverForTenant(present);
    await d.create('note', { body: 'still served' });
    expect(await bodies(present)).toEqual(['still served']);

    // The namespace exists now, but within failureCacheTTL the cached failure answers,
    // without a new attempt.
    await sqld.createNamespace(ghost);
    await expect(r.getDriverForTenant(ghost)).rejects.toBe(first);
    expect(attempts.filter((id) => id === ghost)).toHaveLength(1);
    expect(r.getCacheSize()).toBe(1);

    r.invalidateCache(ghost);
    const revived = await r.getDriverForTenant(ghost);
    await revived.create('note', { body: 'after invalidateCache' });
    expect(await bodies(ghost)).toEqual(['after invalidateCache']);
    expect(await bodies(present)).toEqual(['still served']);
    expect(attempts.filter((id) => id === ghost)).toHaveLength(2);
  });

  it('should try a failed tenant again once failureCacheTTL has passed', async () => {
    const ghost = `ghost${++seq}`;
    const ttl = 200;
    const r = router({ urlTemplate: sqld.namespaceUrl('{tenant}'), failureCacheTTL: ttl });
    const first = await r.getDriverForTenant(ghost).catch((err: unknown) => err);
    expect(first).toMatchObject({ code: 'DRIVER_CONNECTION_FAILED' });
    await sqld.createNamespace(ghost);
    await new Promise((resolve) => setTimeout(resolve, ttl + 50));
    const d = await r.getDriverForTenant(ghost);
    expect(await d.execute('SELECT 1 AS one')).toMatchObject({ rows: [{ one: 1 }] });
  });
});

describe('given a router with an embedded replica per tenant', () => {
  it('should sync each tenant file with its own namespace and write through to it', async () => {
    const tenants = await namespaces(3);
    for (const tenant of tenants) {
      await sqld.pipeline(
        [
          'CREATE TABLE note (id TEXT PRIMARY KEY, body TEXT)',
          `INSERT INTO note VALUES ('seed', 'seed of ${tenant}')`,
        ],
        tenant,
      );
    }
    const r = router({
      urlTemplate: `file:${dir}/{tenant}.db`,
      driverConfigOverrides: { syncUrl: sqld.namespaceUrl('{tenant}'), sync: { intervalSeconds: 0 } },
    });
    for (const tenant of tenants) {
      const d = await r.getDriverForTenant(tenant);
      expect(d.transportMode).toBe('replica');
      // Synced on connect from its namespace alone.
      expect(await d.execute('SELECT body FROM note')).toMatchObject({
        rows: [{ body: `seed of ${tenant}` }],
      });
      await d.execute('INSERT INTO note VALUES (?, ?)', ['mine', `written by ${tenant}`]);
      expect(await d.execute('SELECT count(*) AS n FROM note')).toMatchObject({ rows: [{ n: 2 }] });
    }
    for (const tenant of tenants) {
      expect(await bodies(tenant)).toEqual([`seed of ${tenant}`, `written by ${tenant}`]);
    }
    expect(
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.db'))
        .sort(),
    ).toEqual(tenants.map((t) => `${t}.db`).sort());
  });

  it('should fail a tenant whose primary namespace is missing, without leaving it cached', async () => {
    const ghost = `ghost${++seq}`;
    const r = router({
      urlTemplate: `file:${dir}/{tenant}.db`,
      driverConfigOverrides: { syncUrl: sqld.namespaceUrl('{tenant}'), timeout: 600_000 },
    });
    await expect(r.getDriverForTenant(ghost)).rejects.toMatchObject({
      code: 'DRIVER_CONNECTION_FAILED',
      message: expect.stringContaining("namespace doesn't exist"),
    });
    expect(r.getCacheSize()).toBe(0);
  });
});
