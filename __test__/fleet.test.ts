// migrateTenants over real tenant files: ten tenants, one of them broken, migrated,
// resumed, planned without changes, in parallel; the url template's id check; bad options.

import * as fs from 'fs';
import * as path from 'path';

import {
  migrateTenants,
  ObjectQLError,
  TursoDriver,
  type MigrateTenantsOptions,
  type TenantMigrationEvent,
} from '..';
import {
  V1_ESTIMATE_INTEGER,
  V2,
  V3,
  fingerprintOf,
  makeBrokenTenant,
  makeTenant,
  tablesOf,
  tenantIds,
} from './support/tenants';
import { useSandbox } from './util';

const sandbox = useSandbox();

const TENANTS = tenantIds(10);
const BROKEN = 'tenant-07';

/** Ten tenant files at V1, `BROKEN` a text file. */
async function fleet(dir: string): Promise<void> {
  for (const tenant of TENANTS) {
    if (tenant === BROKEN) makeBrokenTenant(dir, tenant);
    else await makeTenant(dir, tenant);
  }
}

/** `driverFor` over the sandbox's files, counting the plans made. */
function counted(dir: string): { driverFor: MigrateTenantsOptions['driverFor']; plans: string[] } {
  const plans: string[] = [];
  const driverFor = async (tenant: string): Promise<TursoDriver> => {
    const driver = new TursoDriver({ url: `file:${path.join(dir, `${tenant}.db`)}` });
    await driver.connect();
    const plan = driver.planMigration.bind(driver);
    driver.planMigration = (...args) => {
      plans.push(tenant);
      return plan(...args);
    };
    return driver;
  };
  return { driverFor, plans };
}

async function rejection(promise: Promise<unknown>): Promise<ObjectQLError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as ObjectQLError;
}

describe('given ten tenant databases, one of them not a database', () => {
  it('should migrate the nine, record the broken one with its code and message, and go on', async () => {
    const dir = sandbox.dir();
    await fleet(dir);
    const brokenBefore = fs.readFileSync(path.join(dir, `${BROKEN}.db`));

    const result = await migrateTenants({
      objects: V2,
      tenants: TENANTS,
      urlTemplate: `file:${dir}/{tenant}.db`,
    });

    expect(result).toMatchObject({ total: 10, migrated: 9, upToDate: 0, failed: 1, planned: 0 });
    expect(result.duration).toBeGreaterThan(0);
    expect(result.tenants.map((t) => t.tenant)).toEqual(TENANTS);
    const broken = result.tenants.find((t) => t.tenant === BROKEN)!;
    expect(broken).toMatchObject({ status: 'failed', statements: 0 });
    expect(typeof broken.code).toBe('string');
    expect(broken.error).toMatch(/not a database|file is not|encrypted/i);
    for (const t of result.tenants.filter((t) => t.tenant !== BROKEN)) {
      expect(t).toMatchObject({ status: 'migrated' });
      expect(t.statements).toBeGreaterThan(0);
      expect(t.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      const tables = await tablesOf(path.join(dir, `${t.tenant}.db`));
      expect(tables.tasks).toContain('priority');
      expect(tables.notes).toContain('body');
    }
    // Every migrated tenant is at the same schema.
    expect(new Set(result.tenants.filter((t) => t.fingerprint).map((t) => t.fingerprint)).size).toBe(1);
    expect(fs.readFileSync(path.join(dir, `${BROKEN}.db`))).toEqual(brokenBefore);
  });

  it('should, run again, find the migrated tenants up to date and plan only the first of them', async () => {
    const dir = sandbox.dir();
    await fleet(dir);
    const first = counted(dir);
    const before = await migrateTenants({ objects: V2, tenants: TENANTS, driverFor: first.driverFor });
    expect(before).toMatchObject({ migrated: 9, failed: 1 });
    // Nothing was skipped: the others were still at the first schema.
    expect(first.plans).toEqual(TENANTS.filter((t) => t !== BROKEN));

    const again = counted(dir);
    const result = await migrateTenants({ objects: V2, tenants: TENANTS, driverFor: again.driverFor });

    expect(result).toMatchObject({ total: 10, migrated: 0, upToDate: 9, failed: 1 });
    // The first finds an empty plan; the others have that schema's fingerprint: no plan.
    expect(again.plans).toEqual([TENANTS[0]]);
    const fingerprint = before.tenants[0].fingerprint;
    for (const t of result.tenants.filter((t) => t.tenant !== BROKEN)) {
      expect(t).toEqual({ tenant: t.tenant, status: 'up-to-date', statements: 0, fingerprint });
    }
    expect(result.tenants.find((t) => t.tenant === BROKEN)).toMatchObject({ status: 'failed' });
  });

  it('should resume a run cut short: the tenants done are skipped, the rest migrated', async () => {
    const dir = sandbox.dir();
    await fleet(dir);
    await migrateTenants({
      objects: V2,
      tenants: TENANTS.slice(0, 4),
      urlTemplate: `file:${dir}/{tenant}.db`,
    });

    const plan = counted(dir);
    const result = await migrateTenants({ objects: V2, tenants: TENANTS, driverFor: plan.driverFor });

    expect(result).toMatchObject({ migrated: 5, upToDate: 4, failed: 1 });
    expect(result.tenants.slice(0, 4).map((t) => t.status)).toEqual(Array(4).fill('up-to-date'));
    // Planned: the first (found up to date), then each tenant still at the old schema.
    expect(plan.plans).toEqual([TENANTS[0], ...TENANTS.slice(4).filter((t) => t !== BROKEN)]);
  });

  it('should, as a dry run, plan every tenant and change nothing', async () => {
    const dir = sandbox.dir();
    await fleet(dir);
    const file = path.join(dir, `${TENANTS[0]}.db`);
    const fingerprint = await fingerprintOf(file);

    const result = await migrateTenants({
      objects: V2,
      tenants: TENANTS,
      urlTemplate: `file:${dir}/{tenant}.db`,
      dryRun: true,
    });

    expect(result).toMatchObject({ total: 10, migrated: 0, planned: 9, failed: 1, upToDate: 0 });
    const planned = result.tenants[0];
    expect(planned).toMatchObject({ status: 'planned', fingerprint });
    expect(planned.statements).toBeGreaterThan(0);
    expect(planned.summary!.join('\n')).toMatch(/priority/);
    expect(planned.blocked).toBeUndefined();
    expect(await fingerprintOf(file)).toBe(fingerprint);
    expect((await tablesOf(file)).notes).toBeUndefined();
  });

  it('should give the same outcome four tenants at a time, in the order of the list', async () => {
    const dir = sandbox.dir();
    await fleet(dir);
    const events: TenantMigrationEvent[] = [];

    const result = await migrateTenants({
      objects: V2,
      tenants: TENANTS,
      urlTemplate: `file:${dir}/{tenant}.db`,
      concurrency: 4,
      onProgress: (event) => events.push(event),
    });

    expect(result).toMatchObject({ total: 10, migrated: 9, failed: 1 });
    expect(result.tenants.map((t) => t.tenant)).toEqual(TENANTS);
    expect(events.filter((e) => e.type === 'start')).toHaveLength(10);
    const finished = events.filter((e) => e.type === 'tenant');
    expect(finished.map((e) => e.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(finished.every((e) => e.total === 10)).toBe(true);
  });

  it('should go on when the progress callback throws', async () => {
    const dir = sandbox.dir();
    await fleet(dir);
    const result = await migrateTenants({
      objects: V2,
      tenants: TENANTS,
      urlTemplate: `file:${dir}/{tenant}.db`,
      onProgress: () => {
        throw new Error('display broke');
      },
    });
    expect(result).toMatchObject({ migrated: 9, failed: 1 });
  });
});

describe('given tenants whose migration is refused', () => {
  it('should skip a destructive change unless allowDestructive, listing it, then apply it', async () => {
    const dir = sandbox.dir();
    const tenants = tenantIds(3);
    for (const tenant of tenants) await makeTenant(dir, tenant, { objects: V2 });
    const urlTemplate = `file:${dir}/{tenant}.db`;

    const skipped = await migrateTenants({ objects: V3, tenants, urlTemplate });
    expect(skipped).toMatchObject({ upToDate: 3, migrated: 0, failed: 0 });
    for (const t of skipped.tenants) {
      expect(t).toMatchObject({ status: 'up-to-date', statements: 0 });
      expect(t.skipped!.join('\n')).toMatch(/legacy/);
    }
    expect((await tablesOf(path.join(dir, `${tenants[0]}.db`))).legacy).toBeDefined();

    const allowed = await migrateTenants({ objects: V3, tenants, urlTemplate, allowDestructive: true });
    expect(allowed).toMatchObject({ migrated: 3, failed: 0 });
    expect(allowed.tenants[0].skipped).toBeUndefined();
    expect((await tablesOf(path.join(dir, `${tenants[0]}.db`))).legacy).toBeUndefined();
  });

  it('should record a tenant holding a value the type change cannot convert, and leave it as it was', async () => {
    const dir = sandbox.dir();
    const tenants = tenantIds(3);
    await makeTenant(dir, tenants[0]);
    await makeTenant(dir, tenants[1], { estimate: 'about a week' });
    await makeTenant(dir, tenants[2]);
    const fingerprint = await fingerprintOf(path.join(dir, `${tenants[1]}.db`));

    const result = await migrateTenants({
      objects: V1_ESTIMATE_INTEGER,
      tenants,
      urlTemplate: `file:${dir}/{tenant}.db`,
    });

    expect(result.tenants.map((t) => t.status)).toEqual(['migrated', 'failed', 'migrated']);
    expect(result.tenants[1]).toMatchObject({ code: 'MIGRATION_REFUSED' });
    expect(result.tenants[1].error).toMatch(/estimate/);
    expect(await fingerprintOf(path.join(dir, `${tenants[1]}.db`))).toBe(fingerprint);

    // A dry run says why it would be refused; with unconvertible: 'null' it is applied.
    const dry = await migrateTenants({
      objects: V1_ESTIMATE_INTEGER,
      tenants,
      urlTemplate: `file:${dir}/{tenant}.db`,
      dryRun: true,
    });
    expect(dry.tenants.map((t) => t.status)).toEqual(['up-to-date', 'planned', 'up-to-date']);
    expect(dry.tenants[1].blocked!.join('\n')).toMatch(/estimate/);
    const nulled = await migrateTenants({
      objects: V1_ESTIMATE_INTEGER,
      tenants,
      urlTemplate: `file:${dir}/{tenant}.db`,
      unconvertible: 'null',
    });
    expect(nulled.tenants.map((t) => t.status)).toEqual(['up-to-date', 'migrated', 'up-to-date']);
  });
});

describe('given a url template', () => {
  it('should refuse the whole run with INVALID_REQUEST when an id could leave the directory', async () => {
    const dir = sandbox.dir();
    await makeTenant(dir, 'tenant-01');
    const before = await fingerprintOf(path.join(dir, 'tenant-01.db'));
    for (const bad of ['../escape', 'a/b', 'a.b', 'x', 'tenant 01', 'é1']) {
      const err = await rejection(
        migrateTenants({ objects: V2, tenants: ['tenant-01', bad], urlTemplate: `file:${dir}/{tenant}.db` }),
      );
      expect(err.code).toBe('INVALID_REQUEST');
      expect(err.message).toMatch(/nothing was migrated/);
    }
    expect(await fingerprintOf(path.join(dir, 'tenant-01.db'))).toBe(before);
    expect(fs.readdirSync(path.dirname(dir)).filter((f) => f.startsWith('escape'))).toEqual([]);
  });

  it('should fail a tenant with no database file with NOT_FOUND, and create none', async () => {
    const dir = sandbox.dir();
    await makeTenant(dir, 'tenant-01');
    const result = await migrateTenants({
      objects: V2,
      tenants: ['tenant-01', 'tenant-02'],
      urlTemplate: `file:${dir}/{tenant}.db`,
    });
    expect(result.tenants.map((t) => t.status)).toEqual(['migrated', 'failed']);
    expect(result.tenants[1]).toMatchObject({ code: 'NOT_FOUND' });
    expect(result.tenants[1].error).toMatch(/tenant-02/);
    expect(fs.existsSync(path.join(dir, 'tenant-02.db'))).toBe(false);
  });

  it('should refuse a template without {tenant}', async () => {
    const err = await rejection(
      migrateTenants({ objects: V2, tenants: ['tenant-01'], urlTemplate: 'file:./one.db' }),
    );
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.message).toMatch(/\{tenant\}/);
  });
});

describe('given a driverFor and a release', () => {
  it('should release every driver it was given, a failed tenant included', async () => {
    const dir = sandbox.dir();
    const tenants = tenantIds(3);
    for (const tenant of tenants) await makeTenant(dir, tenant, { estimate: 'soon' });
    const released: string[] = [];
    const result = await migrateTenants({
      objects: V1_ESTIMATE_INTEGER,
      tenants,
      driverFor: (tenant) => new TursoDriver({ url: `file:${dir}/${tenant}.db` }),
      release: async (tenant, driver) => {
        released.push(tenant);
        await driver.disconnect();
      },
    });
    expect(result).toMatchObject({ failed: 3 });
    expect(released).toEqual(tenants);
  });

  it('should record a driverFor that throws as that tenant failing', async () => {
    const result = await migrateTenants({
      objects: V2,
      tenants: ['a1', 'b2'],
      driverFor: (tenant) => {
        throw new Error(`no database for ${tenant}`);
      },
    });
    expect(result).toMatchObject({ failed: 2 });
    expect(result.tenants[0]).toMatchObject({ status: 'failed', error: 'no database for a1' });
  });
});

describe('given bad options', () => {
  const base = (): MigrateTenantsOptions => ({
    objects: V2,
    tenants: ['tenant-01'],
    urlTemplate: `file:${sandbox.dir()}/{tenant}.db`,
  });

  it.each([
    ['no options', () => undefined, /options object/],
    ['no driverFor nor urlTemplate', () => ({ objects: V2, tenants: ['a1'] }), /driverFor/],
    [
      'both driverFor and urlTemplate',
      () => ({ ...base(), driverFor: () => new TursoDriver({ url: ':memory:' }) }),
      /not both/,
    ],
    ['an empty objects list', () => ({ ...base(), objects: [] }), /no object definitions/],
    ['objects that are not definitions', () => ({ ...base(), objects: [{ fields: {} }] }), /"name"/],
    ['tenants that are not a list', () => ({ ...base(), tenants: 'a,b' }), /array/],
    ['a tenant listed twice', () => ({ ...base(), tenants: ['a1', 'b2', 'a1'] }), /"a1" more than once/],
    ['concurrency 0', () => ({ ...base(), concurrency: 0 }), /concurrency/],
    ['an unknown unconvertible', () => ({ ...base(), unconvertible: 'drop' }), /unconvertible/],
    ['protectedTables not a list', () => ({ ...base(), protectedTables: 'sys_' }), /protectedTables/],
    ['an unknown scope', () => ({ ...base(), scope: 'everything' }), /scope/],
    ['a driverOptions url', () => ({ ...base(), driverOptions: { url: 'file:x.db' } }), /without "url"/],
  ])('should refuse %s with INVALID_REQUEST', async (_name, options, message) => {
    const err = await rejection(migrateTenants(options() as unknown as MigrateTenantsOptions));
    expect(err).toBeInstanceOf(ObjectQLError);
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.message).toMatch(message);
  });

  it('should take an object map { name: definition } for objects', async () => {
    const dir = sandbox.dir();
    await makeTenant(dir, 'tenant-01');
    const map = Object.fromEntries(V2.map(({ name, ...def }) => [name, def]));
    const result = await migrateTenants({
      objects: map,
      tenants: ['tenant-01'],
      urlTemplate: `file:${dir}/{tenant}.db`,
    });
    expect(result).toMatchObject({ migrated: 1 });
  });
});
