// createMultiTenantRouter on real tenant files: the 4.2.2 behaviours, then what the
// TypeScript router got wrong or never had (one creation per tenant, a bounded cache that
// closes only idle tenants, drivers that stay safe after the router closed them, failure
// caching, callbacks), and bad input. Open databases are counted by the file descriptors
// the process holds on the tenant files (Linux: /proc/self/fd).

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
  createMultiTenantRouter,
  ObjectQLError,
  type MultiTenantConfig,
  type MultiTenantRouter,
  type TursoDriver,
} from '..';

const TASK = { name: 'task', fields: { title: { type: 'text' } } };
const ROOT = path.join(__dirname, '..');

let dir: string;
const routers: MultiTenantRouter[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-'));
});

afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.destroyAll()));
  fs.rmSync(dir, { recursive: true, force: true });
});

function router(config: Partial<MultiTenantConfig> = {}): MultiTenantRouter {
  const made = createMultiTenantRouter({ urlTemplate: `file:${dir}/{tenant}.db`, ...config });
  routers.push(made);
  return made;
}

/** The tenant databases (main files) this process holds open in the test's dir. */
function openTenantFiles(): string[] {
  const open = new Set<string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir + path.sep) && target.endsWith('.db')) open.add(path.basename(target, '.db'));
    } catch {
      // Closed between the listing and the read.
    }
  }
  return [...open].sort();
}

/** A promise and the function that resolves it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('given the configuration of a router', () => {
  it('should refuse a missing urlTemplate or one without {tenant} with CONFIG_ERROR', () => {
    expect(() => createMultiTenantRouter({ urlTemplate: '' })).toThrow(ObjectQLError);
    expect(() => createMultiTenantRouter({ urlTemplate: '' })).toThrow('requires a "urlTemplate"');
    expect(() => createMultiTenantRouter({ urlTemplate: 'libsql://fixed.turso.io' })).toThrow('{tenant}');
    expect(() => createMultiTenantRouter(undefined as unknown as MultiTenantConfig)).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR' }),
    );
  });

  it('should refuse bad options, callbacks and overrides with CONFIG_ERROR naming them', () => {
    const bad: Array<[Partial<MultiTenantConfig>, string]> = [
      [{ clientCacheTTL: -1 }, 'clientCacheTTL'],
      [{ maxCachedTenants: 0 }, 'maxCachedTenants'],
      [{ maxConcurrentCreates: Number.NaN }, 'maxConcurrentCreates'],
      [{ failureCacheTTL: 'soon' as unknown as number }, 'failureCacheTTL'],
      [{ onTenantCreate: 'provision' as unknown as () => void }, 'onTenantCreate'],
      [{ driverConfigOverrides: { url: 'file:x.db' } as never }, 'url'],
    ];
    for (const [config, named] of bad) {
      let caught: unknown;
      try {
        createMultiTenantRouter({ urlTemplate: 'file:{tenant}.db', ...config });
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code: 'CONFIG_ERROR', message: expect.stringContaining(named) });
    }
  });

  it('should expose the 4.2.2 methods', () => {
    const r = router();
    for (const m of ['getDriverForTenant', 'invalidateCache', 'destroyAll', 'getCacheSize']) {
      expect(typeof (r as unknown as Record<string, unknown>)[m]).toBe('function');
    }
  });
});

describe('given tenant ids', () => {
  it('should refuse ids outside the rule with INVALID_REQUEST before any file exists', async () => {
    const r = router();
    await expect(r.getDriverForTenant('')).rejects.toThrow('non-empty string');
    for (const id of ['a', 'tenant@bad', '-invalid', '../x', 'a/b', 'x'.repeat(10_000), 'x'.repeat(65)]) {
      await expect(r.getDriverForTenant(id)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('Invalid tenantId'),
      });
    }
    for (const id of [42, null, undefined, {}, ['ab']]) {
      await expect(r.getDriverForTenant(id as unknown as string)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
    }
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(fs.existsSync(path.join(path.dirname(dir), 'x.db'))).toBe(false);
  });

  it('should replace every {tenant} of the template', async () => {
    const r = createMultiTenantRouter({ urlTemplate: `file:${dir}/{tenant}-of-{tenant}.db` });
    routers.push(r);
    await (await r.getDriverForTenant('acme')).init([TASK]);
    expect(fs.readdirSync(dir)).toContain('acme-of-acme.db');
  });
});

describe('given the 4.2.2 driver lifecycle', () => {
  it('should create, cache and separate drivers per tenant', async () => {
    const r = router({ clientCacheTTL: 60_000 });
    const a = await r.getDriverForTenant('tenant-aa');
    expect(a.name).toBe('TursoDriver');
    expect(await r.getDriverForTenant('tenant-aa')).toBe(a);
    const b = await r.getDriverForTenant('tenant-bb');
    expect(b).not.toBe(a);
    expect(r.getCacheSize()).toBe(2);
    r.invalidateCache('tenant-aa');
    r.invalidateCache('nonexistent');
    expect(r.getCacheSize()).toBe(1);
    await r.destroyAll();
    expect(r.getCacheSize()).toBe(0);
  });

  it('should make a new driver after the TTL and tell onTenantDelete of the old one', async () => {
    const deleted: string[] = [];
    const r = router({ clientCacheTTL: 1, onTenantDelete: (id) => void deleted.push(id) });
    const d1 = await r.getDriverForTenant('tenant-ff');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const d2 = await r.getDriverForTenant('tenant-ff');
    expect(d2).not.toBe(d1);
    expect(deleted).toEqual(['tenant-ff']);
  });

  it('should call onTenantCreate once per creation and onTenantDelete on destroyAll', async () => {
    const created: string[] = [];
    const deleted: string[] = [];
    const r = router({
      onTenantCreate: async (id) => void created.push(id),
      onTenantDelete: async (id) => void deleted.push(id),
    });
    await r.getDriverForTenant('tenant-gg');
    await r.getDriverForTenant('tenant-gg');
    expect(created).toEqual(['tenant-gg']);
    await r.destroyAll();
    expect(deleted).toEqual(['tenant-gg']);
  });

  it('should serve CRUD on each tenant in its own file', async () => {
    const r = router();
    const a = await r.getDriverForTenant('tenant-a1');
    const b = await r.getDriverForTenant('tenant-b1');
    await a.init([TASK]);
    await b.init([TASK]);
    const made = await a.create('task', { title: 'of a' });
    expect(await a.findOne('task', made.id as string)).toMatchObject({ title: 'of a' });
    expect(await b.find('task', {})).toEqual([]);
  });

  it('should pass groupAuthToken as every driver authToken, over the overrides', async () => {
    const r = router({ groupAuthToken: 'group', driverConfigOverrides: { authToken: 'own', timeout: 1234 } });
    const d = await r.getDriverForTenant('tenant-tk');
    expect(d.getTursoConfig()).toMatchObject({
      url: `file:${dir}/tenant-tk.db`,
      authToken: 'group',
      timeout: 1234,
    });
  });
});

describe('given many callers at once', () => {
  it('should make one driver and call onTenantCreate once per tenant for 1,000 concurrent first calls', async () => {
    let creates = 0;
    const r = router({
      maxCachedTenants: 50,
      onTenantCreate: async () => {
        creates++;
        await settle();
      },
    });
    const ids = Array.from({ length: 11 }, (_, i) => `tenant-${i}`);
    const drivers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => r.getDriverForTenant(ids[i % 11])),
    );
    expect(new Set(drivers).size).toBe(11);
    expect(creates).toBe(11);
    expect(r.getCacheSize()).toBe(11);
    expect(openTenantFiles()).toEqual([...ids].sort());
  });

  it('should open at most maxConcurrentCreates tenants at once', async () => {
    let active = 0;
    let most = 0;
    const r = router({
      maxConcurrentCreates: 2,
      onTenantCreate: async () => {
        most = Math.max(most, ++active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active--;
      },
    });
    await Promise.all(['t1', 't2', 't3', 't4', 't5', 't6'].map((id) => r.getDriverForTenant(`${id}x`)));
    expect(most).toBe(2);
    expect(r.getCacheSize()).toBe(6);
  });

  it('should leak no connection when invalidateCache or destroyAll comes during a creation', async () => {
    const hold = gate();
    const r = router({ onTenantCreate: () => hold.wait });
    const first = r.getDriverForTenant('tenant-inv');
    const second = r.getDriverForTenant('tenant-all');
    await settle();
    r.invalidateCache('tenant-inv');
    const destroyed = r.destroyAll();
    hold.open();
    const [a, b] = await Promise.all([first, second]);
    await destroyed;
    // Both callers got drivers, and nothing is open behind the router's back.
    expect(r.getCacheSize()).toBe(0);
    expect(openTenantFiles()).toEqual([]);
    // Used again, each re-enters the cache rather than opening outside it.
    await a.init([TASK]);
    await b.init([TASK]);
    expect(r.getCacheSize()).toBe(2);
    expect(await r.getDriverForTenant('tenant-inv')).toBe(a);
    expect(openTenantFiles()).toEqual(['tenant-all', 'tenant-inv']);
  });
});

describe('given a bounded cache', () => {
  it('should close the least recently used tenant when a new one needs room, and say why', async () => {
    const evicted: Array<[string, string]> = [];
    const deleted: string[] = [];
    const r = router({
      maxCachedTenants: 3,
      onTenantEvict: (id, reason) => void evicted.push([id, reason]),
      onTenantDelete: (id) => void deleted.push(id),
    });
    for (const id of ['t1x', 't2x', 't3x']) await r.getDriverForTenant(id);
    await r.getDriverForTenant('t1x'); // t2x is now the least recently used
    await r.getDriverForTenant('t4x');
    await r.getDriverForTenant('t5x');
    expect(evicted).toEqual([
      ['t2x', 'capacity'],
      ['t3x', 'capacity'],
    ]);
    expect(deleted).toEqual(['t2x', 't3x']);
    expect(r.getCacheSize()).toBe(3);
    expect(openTenantFiles()).toEqual(['t1x', 't4x', 't5x']);
  });

  it('should never close a tenant with a transaction under way', async () => {
    const r = router({ maxCachedTenants: 1 });
    const busy = await r.getDriverForTenant('tenant-tx');
    await busy.init([TASK]);
    const tx = await busy.beginTransaction();
    await busy.create('task', { title: 'inside' }, { transaction: tx });
    await r.getDriverForTenant('tenant-other');
    await busy.create('task', { title: 'still inside' }, { transaction: tx });
    await busy.commit(tx);
    expect((await busy.find('task', {})).map((t) => t.title).sort()).toEqual(['inside', 'still inside']);
    // Idle now: the next tenant that needs room closes the older of the two.
    await r.getDriverForTenant('tenant-third');
    expect(openTenantFiles().length).toBeLessThanOrEqual(2);
  });

  it('should let a driver the router closed serve its holder, back inside the budget', async () => {
    const r = router({ maxCachedTenants: 1 });
    const held = await r.getDriverForTenant('tenant-held');
    await held.init([TASK]);
    await held.create('task', { title: 'before' });
    const other = await r.getDriverForTenant('tenant-next');
    expect(openTenantFiles()).toEqual(['tenant-next']);
    // The app still holds the first driver: its call works, and counts against the cap.
    expect((await held.find('task', {})).map((t) => t.title)).toEqual(['before']);
    await settle();
    await settle();
    expect(openTenantFiles()).toEqual(['tenant-held']);
    expect(await r.getDriverForTenant('tenant-held')).toBe(held);
    await other.init([TASK]);
    await settle();
    await settle();
    expect(openTenantFiles()).toHaveLength(1);
  });
});

describe('given callbacks that fail', () => {
  it('should reject the call and cache nothing when onTenantCreate rejects or throws', async () => {
    const r = router({
      failureCacheTTL: 0,
      onTenantCreate: (id) => {
        if (id === 'tenant-sync') throw new Error('sync throw');
        return Promise.reject(new Error('provisioning failed'));
      },
    });
    await expect(r.getDriverForTenant('tenant-async')).rejects.toThrow('provisioning failed');
    await expect(r.getDriverForTenant('tenant-sync')).rejects.toThrow('sync throw');
    expect(r.getCacheSize()).toBe(0);
    expect(openTenantFiles()).toEqual([]);
  });

  it('should accept callbacks that return no promise', async () => {
    const r = router({ onTenantCreate: () => undefined, onTenantDelete: () => 42 as unknown as void });
    await r.getDriverForTenant('tenant-plain');
    await r.destroyAll();
  });

  it('should re-throw a failed creation for failureCacheTTL without trying again', async () => {
    let calls = 0;
    const r = router({
      failureCacheTTL: 60_000,
      onTenantCreate: async () => {
        calls++;
        if (calls === 1) throw new Error('database not ready');
      },
    });
    const first = await r.getDriverForTenant('tenant-ft').catch((e: Error) => e);
    const second = await r.getDriverForTenant('tenant-ft').catch((e: Error) => e);
    expect(second).toBe(first);
    expect(calls).toBe(1);
    // invalidateCache forgets the failure: the next call tries again.
    r.invalidateCache('tenant-ft');
    await expect(r.getDriverForTenant('tenant-ft')).resolves.toBeDefined();
    expect(calls).toBe(2);
  });

  it('should swallow onTenantDelete failures and hand them to onError', async () => {
    const errors: Array<[string, string]> = [];
    const r = router({
      onTenantDelete: async () => {
        throw new Error('cleanup failed');
      },
      onError: (err, where) => void errors.push([(err as Error).message, where.hook]),
    });
    await r.getDriverForTenant('tenant-del');
    await r.destroyAll();
    expect(errors).toEqual([['cleanup failed', 'onTenantDelete']]);
  });
});

describe('given destroyAll', () => {
  it('should be callable twice, and a later call should open the tenant again', async () => {
    const r = router();
    const before = await r.getDriverForTenant('tenant-re');
    await before.init([TASK]);
    await before.create('task', { title: 'kept' });
    await r.destroyAll();
    await r.destroyAll();
    expect(openTenantFiles()).toEqual([]);
    const after = await r.getDriverForTenant('tenant-re');
    expect(after).not.toBe(before);
    await after.init([TASK]);
    expect((await after.find('task', {})).map((t) => t.title)).toEqual(['kept']);
  });

  it('should keep no timer alive: a process that never calls it still exits', () => {
    const script = `
      const { createMultiTenantRouter } = require(${JSON.stringify(ROOT)});
      const r = createMultiTenantRouter({ urlTemplate: 'file:${dir}/{tenant}.db', clientCacheTTL: 3600000 });
      Promise.all([r.getDriverForTenant('alive-1'), r.getDriverForTenant('alive-2')])
        .then(() => console.log('opened', r.getCacheSize()));`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.error).toBeUndefined();
    expect(run.stdout.trim()).toBe('opened 2');
    expect(run.status).toBe(0);
  });
});

describe('given a schema for every tenant', () => {
  it('should bring open tenants to it now and the others as they open', async () => {
    const r = router();
    const early = await r.getDriverForTenant('tenant-early');
    await r.syncSchema([TASK]);
    await early.create('task', { title: 'early' });
    const late: TursoDriver = await r.getDriverForTenant('tenant-late');
    await late.create('task', { title: 'late' });
    expect((await late.find('task', {})).map((t) => t.title)).toEqual(['late']);
  });
});
