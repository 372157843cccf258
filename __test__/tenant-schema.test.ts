// The schema the tenant databases of one app share (lib/tenant-schema.js): a tenant
// driver's connect() brings its database to the shared definitions, without DDL when the
// fingerprint stored in it says it is current; a newer schema reaches open tenants; what
// one tenant driver learns on its own stays its own.
//
// "No DDL ran" is shown by the database, not by the driver: a read-only connection can
// only open where nothing needs writing, and a date-time planted in an older stored form
// survives a check that skipped the sync (a sync of an existing table rewrites it).

import * as fs from 'fs';

import { TursoDriver, processLimits, setSoftHeapLimit, type ObjectSchema, type TursoDriverConfig } from '..';
import {
  TenantSchema,
  kApplySharedSchema,
  kSharedSchema,
  type TenantDriverHooks,
} from '../lib/tenant-schema';
import { useSandbox, urlFor, type DbKind } from './util';

const TASK: ObjectSchema = {
  name: 'task',
  fields: { title: { type: 'text' }, done: { type: 'boolean' }, at: { type: 'datetime' } },
};
const TASK_WITH_NOTE: ObjectSchema = {
  ...TASK,
  fields: { ...TASK.fields, note: { type: 'text' } },
};
const PLANTED = '2024-01-02 03:04:05';
const CANONICAL = '2024-01-02T03:04:05.000Z';

type Row = Record<string, unknown>;
const rowsOf = (result: unknown): Row[] =>
  Array.isArray(result) ? result : (result as { rows: Row[] }).rows;

describe('given a TenantSchema shared by tenant drivers', () => {
  const sandbox = useSandbox();

  const tenant = (schema: TenantSchema, url: string, extra: Partial<TursoDriverConfig> = {}): TursoDriver =>
    sandbox.driver({ url, ...extra, [kSharedSchema]: schema } as TursoDriverConfig);

  it('should bring a new tenant database to the shared objects at connect', async () => {
    const schema = new TenantSchema();
    await schema.syncSchema([TASK]);
    const driver = tenant(schema, sandbox.fileUrl('a.db'));
    await driver.connect();
    await driver.create('task', { id: 't1', title: 'x', done: true });
    // The kinds come from the shared catalog: the boolean reads back as one.
    expect(await driver.find('task', {})).toEqual([{ id: 't1', title: 'x', done: true, at: null }]);
    expect((await driver.introspectSchema()).tables).toHaveProperty('task');
    expect(Object.keys((await driver.introspectSchema()).tables)).toEqual(['task']);
  });

  it('should open an up-to-date tenant file read-only, and refuse one altered by hand', async () => {
    const schema = new TenantSchema();
    await schema.syncSchema([TASK]);
    const url = sandbox.fileUrl('a.db');
    const writer = tenant(schema, url);
    await writer.connect();
    await writer.disconnect();

    const readOnly = tenant(schema, `${url}?mode=ro`);
    await expect(readOnly.connect()).resolves.toBeUndefined();
    await readOnly.disconnect();

    const outside = sandbox.driver({ url });
    await outside.execute('DROP TABLE task');
    await outside.disconnect();
    await expect(tenant(schema, `${url}?mode=ro`).connect()).rejects.toThrow(/readonly/i);
    await writer.connect();
    expect(await writer.find('task', {})).toEqual([]);
  });

  it('should keep the driver option off driver.config and refuse what is not a TenantSchema', () => {
    const schema = new TenantSchema();
    const driver = tenant(schema, sandbox.fileUrl());
    expect(Object.getOwnPropertySymbols(driver.config)).toEqual([]);
    expect(() => new TursoDriver({ url: ':memory:', [kSharedSchema]: {} } as TursoDriverConfig)).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR' }),
    );
    expect(
      () =>
        new TursoDriver({
          url: ':memory:',
          contract: 'objectstack',
          [kSharedSchema]: schema,
        } as TursoDriverConfig),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringMatching(/contract/) }));
    expect(() => new TenantSchema({ contract: 'other' as 'objectql' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR' }),
    );
  });

  it('should refuse invalid definitions and keep the ones in force', async () => {
    const schema = new TenantSchema();
    await schema.syncSchema([TASK]);
    const { fingerprint, generation } = schema;
    await expect(schema.syncSchema('task' as unknown as ObjectSchema[])).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    await expect(schema.syncSchema([{ fields: {} } as unknown as ObjectSchema])).rejects.toHaveProperty(
      'code',
    );
    expect(schema.fingerprint).toBe(fingerprint);
    expect(schema.generation).toBe(generation);
    expect(schema.objects).toEqual(['task']);
    await schema.syncSchema([TASK]);
    expect(schema.fingerprint).toBe(fingerprint);
    await schema.syncSchema([TASK_WITH_NOTE]);
    expect(schema.fingerprint).not.toBe(fingerprint);
  });

  it('should apply a newer schema to an open tenant at its next call, or now when asked', async () => {
    const schema = new TenantSchema();
    await schema.syncSchema([TASK]);
    const [urlA, urlB] = [sandbox.fileUrl('a.db'), sandbox.fileUrl('b.db')];
    const a = tenant(schema, urlA);
    const b = tenant(schema, urlB);
    await a.connect();
    await b.connect();

    await schema.syncSchema([TASK_WITH_NOTE]);
    // a: at its next call.
    await a.create('task', { id: 't1', note: 'n' });
    expect(await a.findOne('task', 't1')).toMatchObject({ note: 'n' });
    // b: now, seen by a plain driver on the same file.
    await (b as unknown as TenantDriverHooks)[kApplySharedSchema]();
    const plain = sandbox.driver({ url: urlB });
    const columns = rowsOf(await plain.execute("SELECT name FROM pragma_table_info('task')")).map(
      (r) => r.name,
    );
    expect(columns).toContain('note');
  });

  it('should not tell other tenants what one tenant driver learnt on its own', async () => {
    const schema = new TenantSchema();
    await schema.syncSchema([TASK]);
    const a = tenant(schema, sandbox.fileUrl('a.db'));
    const b = tenant(schema, sandbox.fileUrl('b.db'));
    await a.syncSchema([{ name: 'flag', fields: { on: { type: 'boolean' } } }]);
    await a.create('flag', { id: 'f', on: true });
    expect(await a.find('flag', {})).toEqual([{ id: 'f', on: true }]);

    await b.execute('CREATE TABLE flag (id TEXT PRIMARY KEY, "on" INTEGER)');
    await b.execute("INSERT INTO flag VALUES ('f', 1)");
    // b never declared `flag`: its column reads as stored.
    expect(await b.find('flag', {})).toEqual([{ id: 'f', on: 1 }]);
    // ... and both still follow the shared objects.
    await schema.syncSchema([TASK_WITH_NOTE]);
    await a.create('task', { id: 't', note: 'a' });
    await b.create('task', { id: 't', note: 'b' });
    expect(await a.findOne('task', 't')).toMatchObject({ note: 'a' });
    expect(await b.findOne('task', 't')).toMatchObject({ note: 'b' });
  });
});

describe.each<DbKind>(['file', 'remote'])('given an up-to-date tenant database (%s)', (kind) => {
  const sandbox = useSandbox(kind);

  it('should open it without DDL, and check it again after DDL from outside', async () => {
    const url = urlFor(sandbox, kind);
    const schema = new TenantSchema({ contract: 'objectstack' });
    await schema.syncSchema([TASK]);
    const config = { url, contract: 'objectstack' as const, [kSharedSchema]: schema } as TursoDriverConfig;
    const first = sandbox.driver(config);
    await first.connect();
    await first.execute(`INSERT INTO task (id, title, at) VALUES ('t1', 'x', '${PLANTED}')`);
    await first.disconnect();

    const stored = async (d: TursoDriver): Promise<unknown> =>
      rowsOf(await d.execute("SELECT at FROM task WHERE id = 't1'"))[0]?.at;
    // The fingerprint matched: no sync ran, so nothing rewrote the planted value.
    const again = sandbox.driver(config);
    await again.connect();
    expect(await stored(again)).toBe(PLANTED);
    await again.execute('CREATE INDEX by_hand ON task (title)');
    await again.disconnect();

    // DDL from outside moved SQLite's schema cookie: the next open syncs.
    const checked = sandbox.driver(config);
    await checked.connect();
    expect(await stored(checked)).toBe(CANONICAL);
    if (kind === 'file') expect(fs.existsSync(url.slice('file:'.length))).toBe(true);
  });
});

describe('given thousands of tenants in one process', () => {
  const sandbox = useSandbox();

  it('should give each database the page cache cacheSizeKiB asks for', async () => {
    const driver = sandbox.driver({ url: sandbox.fileUrl(), cacheSizeKiB: 64 });
    expect(rowsOf(await driver.execute('PRAGMA cache_size'))).toEqual([{ cache_size: -64 }]);
    const tx = await driver.beginTransaction();
    expect(rowsOf(await driver.execute('PRAGMA cache_size', [], { transaction: tx }))).toEqual([
      { cache_size: -64 },
    ]);
    await driver.rollback(tx);
    expect(driver.config).not.toHaveProperty('cacheSizeKiB');
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity, '64', 2 ** 31])('should refuse cacheSizeKiB: %p', (value) => {
    expect(() => new TursoDriver({ url: ':memory:', cacheSizeKiB: value as number })).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringContaining('cacheSizeKiB') }),
    );
  });

  it('should read the file descriptor limit and use of the process', () => {
    const limits = processLimits();
    if (process.platform !== 'linux') {
      expect(limits).toBeNull();
      return;
    }
    expect(limits).toEqual({ maxOpenFiles: expect.any(Number), openFiles: expect.any(Number) });
    expect(limits!.openFiles).toBeLessThanOrEqual(limits!.maxOpenFiles);
  });

  it('should refuse a soft heap limit that is no byte count, or comes after the first open', async () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() => setSoftHeapLimit(bad)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    }
    await sandbox.driver({ url: sandbox.fileUrl() }).connect();
    expect(() => setSoftHeapLimit(64 * 2 ** 20)).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringContaining('first database') }),
    );
  });
});
