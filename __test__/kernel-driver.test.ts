// The kernel contract's smaller duties, called on the driver directly as the engine calls
// them when present: statement errors in the kernel's envelope, raw SQL in knex's shape,
// introspection in the spec's shape, schema sync statistics, external objects, upserts
// on conflict keys, bulkUpdate rows, the public getters of the kernel's own Turso driver.
// What an app sees through `ql` is in kernel-*.test.ts.

import { TursoDriver, TursoDriverPlugin } from '..';

import { useSandbox } from './util';

const CONTACT = {
  name: 'contact',
  fields: {
    email: { type: 'text', unique: true },
    n: { type: 'number' },
    organization_id: { type: 'text' },
  },
};

describe("given a driver serving the kernel (contract: 'objectstack')", () => {
  const sandbox = useSandbox();
  let d: TursoDriver;

  beforeEach(async () => {
    d = sandbox.driver({ url: sandbox.fileUrl(), contract: 'objectstack' });
    await d.syncSchemasBatch([{ object: 'contact', schema: CONTACT }]);
  });

  it('should reject statement failures in the kernel envelope, without SQL text', async () => {
    await d.create('contact', { email: 'a@x' }, { tenantId: 'A' });
    const dup = d.create('contact', { email: 'a@x' }, { tenantId: 'A' });
    await expect(dup).rejects.toMatchObject({
      name: 'ObjectQLError',
      code: 'UNIQUE_VIOLATION',
      status: 409,
      message: 'UNIQUE constraint failed: contact.email',
    });
    const missing = d.find('contact', { where: { nope: 1 } });
    await expect(missing).rejects.toMatchObject({ code: 'INVALID_FILTER', status: 400 });
    await expect(missing).rejects.toThrow(/'nope'/);
    const broken = d.execute('SELECT * FROM no_such_table');
    await expect(broken).rejects.toMatchObject({ code: 'DATABASE_ERROR', status: 500 });
    await expect(broken).rejects.not.toThrow(/SELECT/);
  });

  it('should answer raw SQL as knex does: rows, or the changes', async () => {
    const write = await d.execute("INSERT INTO contact (id, email) VALUES ('x', 'x@x')");
    expect(write).toEqual({ changes: 1, lastInsertRowid: expect.any(Number) });
    expect(await d.execute('SELECT id, email FROM contact WHERE id = ?', ['x'])).toEqual([
      { id: 'x', email: 'x@x' },
    ]);
  });

  it('should introspect in the spec shape and count the tables it created', async () => {
    const schema = await d.introspectSchema();
    expect(schema.dialect).toBe('sqlite');
    expect(Date.parse(schema.introspectedAt as string)).not.toBeNaN();
    const columns = Object.fromEntries(schema.tables.contact.columns.map((c) => [c.name, c]));
    expect(columns.id).toMatchObject({ primaryKey: true, isUnique: true, type: 'text' });
    // email is unique per tenant, so not unique on its own.
    expect(columns.email).toMatchObject({ primaryKey: false, isUnique: false });
    expect(d.getSchemaSyncStats()).toEqual({ created: 1, existing: 0 });

    const again = sandbox.driver({ url: sandbox.fileUrl(), contract: 'objectstack' });
    await again.syncSchema('contact', CONTACT);
    await again.syncSchema('other', { name: 'other', fields: { code: { type: 'text', unique: 'global' } } });
    expect(again.getSchemaSyncStats()).toEqual({ created: 1, existing: 1 });
    const other = (await again.introspectSchema()).tables.other.columns;
    expect(other.find((c) => c.name === 'code')).toMatchObject({ isUnique: true });
  });

  it('should upsert on conflict keys within the tenant, and return bulkUpdate rows', async () => {
    const first = await d.upsert('contact', { email: 'u@x', n: 1 }, ['email'], { tenantId: 'A' });
    const second = await d.upsert('contact', { email: 'u@x', n: 2 }, ['email'], { tenantId: 'A' });
    expect(second).toMatchObject({ id: first!.id, n: 2, organization_id: 'A' });
    const rows = await d.bulkUpdate('contact', [
      { id: first!.id as string, data: { n: 3 } },
      { id: 'ghost', data: { n: 4 } },
    ]);
    expect(rows).toEqual([expect.objectContaining({ id: first!.id, n: 3 })]);
  });

  it('should learn external objects and registered metadata without DDL', async () => {
    await d.execute('CREATE TABLE remote_people (id TEXT PRIMARY KEY, tags TEXT, organization_id TEXT)');
    await d.registerExternalObject({
      name: 'person',
      external: { remoteName: 'remote_people' },
      fields: { tags: { type: 'tags' }, organization_id: { type: 'text' } },
    });
    await d.create('person', { tags: ['a'] }, { tenantId: 'A' });
    expect(await d.find('person', {}, { tenantId: 'B' })).toEqual([]);
    expect(await d.find('person', {}, { tenantId: 'A' })).toEqual([expect.objectContaining({ tags: ['a'] })]);
    expect(d.getSchemaSyncStats().created).toBe(1);
  });

  it('should offer the getters of the kernel TypeScript Turso driver', () => {
    expect(d.transportMode).toBe('local');
    expect(d.isSyncEnabled()).toBe(false);
    expect(d.getTursoConfig()).toMatchObject({ url: sandbox.fileUrl(), contract: 'objectstack' });
    expect(d.supports).toMatchObject({ autonumber: true, batchSchemaSync: true });
    expect(d.supportsRotation).toBe(false);
  });

  it('should reclaim space and rotate nothing', async () => {
    await expect(d.reclaimSpace()).resolves.toBeUndefined();
    await expect(d.rotateShards()).resolves.toEqual({ created: [], dropped: [] });
  });

  it('should count a deleted row in executeCommand', async () => {
    const row = await d.create('contact', { email: 'c@x' });
    expect(await d.executeCommand({ type: 'delete', object: 'contact', id: row.id as string })).toEqual({
      success: true,
      affected: 1,
    });
    expect(await d.executeCommand({ type: 'delete', object: 'contact', id: row.id as string })).toEqual({
      success: true,
      affected: 0,
    });
  });
});

describe('given the runtime plugin lifecycle', () => {
  const sandbox = useSandbox();

  it('should forget its driver on onStop, as 4.2.2 did', async () => {
    const plugin = new TursoDriverPlugin({ connection: { url: sandbox.fileUrl() } });
    plugin.install({});
    await plugin.onStart({});
    const driver = plugin.getDriver();
    await plugin.onStop({});
    expect(() => plugin.getDriver()).toThrow(expect.objectContaining({ code: 'DRIVER_ERROR' }));
    expect(() => plugin.getDriver()).toThrow(/stopped/);
    // Started again: a new driver.
    await plugin.onStart({});
    expect(plugin.getDriver()).not.toBe(driver);
    await plugin.onStop({});
  });
});
