import * as fs from 'fs';

import { TursoDriver, createTursoDriver, type DataRecord } from '..';
import { DB_KINDS, PEOPLE, byKey, urlFor, useSandbox } from './util';

const ID_PATTERN = /^[A-Za-z0-9_-]{16}$/;

/** Every capability flag the contract names. */
const ALL_FLAGS = [
  'create',
  'read',
  'update',
  'delete',
  'bulkCreate',
  'bulkUpdate',
  'bulkDelete',
  'transactions',
  'savepoints',
  'queryFilters',
  'queryAggregations',
  'querySorting',
  'queryPagination',
  'queryWindowFunctions',
  'querySubqueries',
  'queryCTE',
  'joins',
  'fullTextSearch',
  'jsonQuery',
  'jsonFields',
  'arrayFields',
  'vectorSearch',
  'streaming',
  'schemaSync',
  'migrations',
  'indexes',
  'connectionPooling',
  'preparedStatements',
  'queryCache',
];

/** Flags for what the driver's own methods do (and these tests exercise). */
const WORKING_FLAGS = [
  'create',
  'read',
  'update',
  'delete',
  'bulkCreate',
  'bulkUpdate',
  'bulkDelete',
  'transactions',
  'queryFilters',
  'queryAggregations',
  'querySorting',
  'queryPagination',
  'jsonFields',
  'schemaSync',
  'preparedStatements',
];

describe('given a new driver', () => {
  const sandbox = useSandbox();

  it('should name itself and report a 5.x version', () => {
    const d = sandbox.driver({ url: ':memory:' });
    expect(d.name).toBe('TursoDriver');
    expect(typeof d.version).toBe('string');
    expect(d.version).toMatch(/^5\.\d+\.\d+/);
    expect(d.config.url).toBe(':memory:');
  });

  it('should be made by createTursoDriver too', () => {
    const d = createTursoDriver({ url: ':memory:' });
    expect(d).toBeInstanceOf(TursoDriver);
    expect(d.name).toBe('TursoDriver');
  });

  it('should accept every configuration option of a local database without connecting', () => {
    const d = sandbox.driver({
      url: sandbox.fileUrl('options.db'),
      authToken: 'token',
      concurrency: 10,
      sync: { intervalSeconds: 30, onConnect: false },
      timeout: 5000,
    });
    expect(d.config.concurrency).toBe(10);
  });

  it('should refuse at construction what it cannot serve yet, saying why', () => {
    // Never a driver that quietly runs on the local file alone.
    for (const [config, says] of [
      [{ url: ':memory:', syncUrl: 'libsql://sync.turso.io' }, /syncUrl/],
      [{ url: ':memory:', encryptionKey: 'key' }, /encryptionKey/],
      [{ url: ':memory:', client: { execute() {} } }, /client/],
    ] as const) {
      expect(() => new TursoDriver(config as never)).toThrow(
        expect.objectContaining({ code: 'CONFIG_ERROR' }),
      );
      expect(() => new TursoDriver(config as never)).toThrow(says);
    }
  });

  it('should declare every capability flag of the contract as a boolean', () => {
    const { supports } = sandbox.driver({ url: ':memory:' });
    for (const flag of ALL_FLAGS) {
      expect([flag, typeof supports[flag]]).toEqual([flag, 'boolean']);
    }
  });

  it('should declare what the driver API itself does as supported', () => {
    const { supports } = sandbox.driver({ url: ':memory:' });
    for (const flag of WORKING_FLAGS) {
      expect([flag, supports[flag]]).toEqual([flag, true]);
    }
    for (const flag of ['arrayFields', 'streaming', 'connectionPooling', 'queryCache']) {
      expect([flag, supports[flag]]).toEqual([flag, false]);
    }
  });

  it('should declare an SQL feature only if it works through execute()', async () => {
    const d = sandbox.driver({ url: ':memory:' });
    await d.execute('CREATE TABLE "t" ("id" TEXT PRIMARY KEY, "n" INTEGER, "doc" TEXT)');
    await d.execute('INSERT INTO "t" VALUES (?, ?, ?), (?, ?, ?)', ['a', 1, '{"k":1}', 'b', 2, '{"k":2}']);
    const probes: Record<string, string> = {
      queryWindowFunctions: 'SELECT "id", SUM("n") OVER (ORDER BY "id") AS s FROM "t"',
      querySubqueries: 'SELECT * FROM "t" WHERE "n" = (SELECT MAX("n") FROM "t")',
      queryCTE: 'WITH x AS (SELECT * FROM "t") SELECT COUNT(*) AS c FROM x',
      joins: 'SELECT a."id" FROM "t" a JOIN "t" b ON a."id" = b."id"',
      jsonQuery: 'SELECT json_extract("doc", \'$.k\') AS k FROM "t"',
      fullTextSearch: 'CREATE VIRTUAL TABLE "fts" USING fts5("body")',
      indexes: 'CREATE INDEX "t_n" ON "t" ("n")',
    };
    for (const [flag, sql] of Object.entries(probes)) {
      if (d.supports[flag]) {
        await expect(d.execute(sql).then(() => flag)).resolves.toBe(flag);
      }
    }
  });

  it('should return undefined pool stats', () => {
    expect(sandbox.driver({ url: ':memory:' }).getPoolStats()).toBeUndefined();
  });
});

describe('given the lifecycle of a local driver', () => {
  const sandbox = useSandbox();

  it('should connect idempotently and report healthy', async () => {
    const d = sandbox.driver({ url: ':memory:' });
    await d.connect();
    await d.connect();
    await expect(d.checkHealth()).resolves.toBe(true);
  });

  it('should report healthy before an explicit connect', async () => {
    await expect(sandbox.driver({ url: sandbox.fileUrl() }).checkHealth()).resolves.toBe(true);
  });

  it('should report unhealthy, not throw, when the file cannot be opened', async () => {
    // A directory cannot be made under a file (a missing one is made).
    fs.writeFileSync(`${sandbox.dir()}/plain`, 'not a directory');
    const d = sandbox.driver({ url: `file:${sandbox.dir()}/plain/x.db` });
    await expect(d.checkHealth()).resolves.toBe(false);
  });

  it('should treat sync() as a no-op for a local database', async () => {
    const d = sandbox.driver({ url: ':memory:' });
    await expect(d.sync()).resolves.toBeUndefined();
    await d.connect();
    await expect(d.sync()).resolves.toBeUndefined();
  });

  it('should connect lazily on the first data call', async () => {
    const d = sandbox.driver({ url: ':memory:' });
    await d.init([PEOPLE]);
    await d.create('people', { id: 'a', name: 'Alice' });
    await expect(d.count('people', {})).resolves.toBe(1);
  });

  it('should reconnect lazily after disconnect and keep a file database', async () => {
    const d = sandbox.driver({ url: sandbox.fileUrl() });
    await d.init([PEOPLE]);
    await d.create('people', { id: 'a', name: 'Alice' });
    await d.disconnect();
    await d.disconnect();
    await expect(d.findOne('people', 'a')).resolves.toMatchObject({
      id: 'a',
      name: 'Alice',
    });
  });

  it('should let a second driver on the same file read what the first wrote', async () => {
    const url = sandbox.fileUrl();
    const first = sandbox.driver({ url });
    await first.init([PEOPLE]);
    await first.create('people', { id: 'a', name: 'Alice', age: 30 });
    const second = sandbox.driver({ url });
    await expect(second.find('people', {})).resolves.toEqual([
      expect.objectContaining({ id: 'a', name: 'Alice', age: 30 }),
    ]);
  });

  it('should give two :memory: drivers two separate databases', async () => {
    const a = sandbox.driver({ url: ':memory:' });
    const b = sandbox.driver({ url: ':memory:' });
    await a.init([PEOPLE]);
    await a.create('people', { id: 'x', name: 'only in a' });
    const tables = await b.introspectSchema();
    expect(tables.tables.people).toBeUndefined();
  });
});

describe.each(DB_KINDS)('given a people table (%s)', (kind) => {
  const sandbox = useSandbox(kind);
  let d: TursoDriver;

  beforeEach(async () => {
    d = sandbox.driver({ url: urlFor(sandbox, kind) });
    await d.init([PEOPLE]);
  });

  describe('when creating', () => {
    it('should generate a 16-character URL-safe id and return the stored record', async () => {
      const created = await d.create('people', { name: 'Alice', age: 30 });
      expect(created.id).toEqual(expect.stringMatching(ID_PATTERN));
      expect(created).toMatchObject({ name: 'Alice', age: 30 });
      expect(await d.findOne('people', created.id as string)).toEqual(created);
    });

    it('should generate a different id each time', async () => {
      const ids = new Set<unknown>();
      for (let i = 0; i < 20; i++) ids.add((await d.create('people', { name: `p${i}` })).id);
      expect(ids.size).toBe(20);
    });

    it('should keep a given id', async () => {
      const created = await d.create('people', {
        id: 'custom-id',
        name: 'Bob',
      });
      expect(created).toMatchObject({ id: 'custom-id', name: 'Bob' });
    });

    it('should return the record read back, with the columns not given as null', async () => {
      const created = await d.create('people', { id: 'a', name: 'Alice' });
      expect(Object.keys(created).sort()).toEqual(['active', 'age', 'email', 'id', 'meta', 'name']);
      expect(created).toMatchObject({
        id: 'a',
        name: 'Alice',
        age: null,
        email: null,
        meta: null,
      });
    });

    it('should not change the data object passed in', async () => {
      const data = { name: 'Alice', meta: { a: 1 }, active: true };
      await d.create('people', data);
      expect(data).toEqual({ name: 'Alice', meta: { a: 1 }, active: true });
    });

    it('should reject a duplicate id and keep the first record', async () => {
      await d.create('people', { id: 'a', name: 'first' });
      await expect(d.create('people', { id: 'a', name: 'second' })).rejects.toMatchObject({
        name: 'ObjectQLError',
      });
      expect(await d.findOne('people', 'a')).toMatchObject({ name: 'first' });
    });
  });

  describe('when reading by id', () => {
    it('should return the record', async () => {
      await d.create('people', { id: 'a', name: 'Charlie', age: 35 });
      expect(await d.findOne('people', 'a')).toMatchObject({
        id: 'a',
        name: 'Charlie',
        age: 35,
      });
    });

    it('should return null for an unknown id', async () => {
      await expect(d.findOne('people', 'nope')).resolves.toBeNull();
    });
  });

  describe('when updating', () => {
    it('should change only the given fields and return the record read back', async () => {
      await d.create('people', {
        id: 'a',
        name: 'Alice',
        age: 30,
        meta: { x: 1 },
        active: false,
      });
      const updated = await d.update('people', 'a', {
        age: 31,
        meta: { x: 2 },
        active: true,
      });
      expect(updated).toEqual({
        id: 'a',
        name: 'Alice',
        age: 31,
        email: null,
        active: true,
        meta: { x: 2 },
      });
      expect(await d.findOne('people', 'a')).toEqual(updated);
    });

    it('should set a field to null', async () => {
      await d.create('people', { id: 'a', name: 'Alice', age: 30 });
      expect(await d.update('people', 'a', { age: null })).toMatchObject({
        age: null,
      });
    });

    it('should return the existing record for empty data', async () => {
      await d.create('people', { id: 'a', name: 'Alice' });
      expect(await d.update('people', 'a', {})).toMatchObject({
        id: 'a',
        name: 'Alice',
      });
    });

    it('should reject empty data for an unknown id with NOT_FOUND', async () => {
      await expect(d.update('people', 'nope', {})).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });
  });

  describe('when deleting', () => {
    it('should report whether a record was deleted', async () => {
      await d.create('people', { id: 'a', name: 'Alice' });
      await expect(d.delete('people', 'a')).resolves.toEqual({ deleted: true });
      await expect(d.findOne('people', 'a')).resolves.toBeNull();
      await expect(d.delete('people', 'a')).resolves.toEqual({
        deleted: false,
      });
    });
  });

  describe('when counting', () => {
    it('should count all records or the matching ones', async () => {
      await d.create('people', { name: 'A', age: 30 });
      await d.create('people', { name: 'B', age: 25 });
      await d.create('people', { name: 'C', age: 35 });
      await expect(d.count('people', {})).resolves.toBe(3);
      await expect(d.count('people', { age: { $gte: 30 } })).resolves.toBe(2);
      await expect(d.count('people', ['age', '<', 30])).resolves.toBe(1);
      await expect(d.count('people')).resolves.toBe(3);
    });
  });

  describe('when upserting', () => {
    it('should insert, then update on id conflict', async () => {
      const inserted = await d.upsert('people', {
        id: 'p1',
        name: 'Widget',
        age: 10,
      });
      expect(inserted).toMatchObject({ id: 'p1', name: 'Widget', age: 10 });
      const updated = await d.upsert('people', {
        id: 'p1',
        name: 'Widget 2',
        age: 20,
        active: true,
      });
      expect(updated).toMatchObject({
        id: 'p1',
        name: 'Widget 2',
        age: 20,
        active: true,
      });
      await expect(d.count('people', {})).resolves.toBe(1);
      expect(await d.findOne('people', 'p1')).toEqual(updated);
    });

    it('should generate an id when none is given', async () => {
      const rec = await d.upsert('people', { name: 'New' });
      expect(rec.id).toEqual(expect.stringMatching(ID_PATTERN));
      await expect(d.count('people', {})).resolves.toBe(1);
    });
  });

  describe('when working in bulk', () => {
    it('should create many records and return the count', async () => {
      await expect(
        d.bulkCreate('people', [
          { name: 'A' },
          { name: 'B' },
          { id: 'c', name: 'C', meta: [1], active: true },
        ]),
      ).resolves.toBe(3);
      await expect(d.count('people', {})).resolves.toBe(3);
      expect(await d.findOne('people', 'c')).toMatchObject({
        name: 'C',
        meta: [1],
        active: true,
      });
      const ids = (await d.find('people', {})).map((r) => r.id);
      expect(ids.filter((id) => id !== 'c')).toEqual([
        expect.stringMatching(ID_PATTERN),
        expect.stringMatching(ID_PATTERN),
      ]);
    });

    it('should return [] for empty input', async () => {
      await expect(d.bulkCreate('people', [])).resolves.toEqual([]);
      await expect(d.bulkUpdate('people', [])).resolves.toEqual([]);
      await expect(d.bulkDelete('people', [])).resolves.toEqual([]);
    });

    it('should update many records by id and return the count', async () => {
      await d.bulkCreate('people', [
        { id: 'a', name: 'A', age: 1 },
        { id: 'b', name: 'B', age: 2 },
      ]);
      await expect(
        d.bulkUpdate('people', [
          { id: 'a', data: { age: 15, active: true } },
          { id: 'b', data: { age: 25, meta: { k: 'v' } } },
        ]),
      ).resolves.toBe(2);
      expect(await d.findOne('people', 'a')).toMatchObject({
        age: 15,
        active: true,
      });
      expect(await d.findOne('people', 'b')).toMatchObject({
        age: 25,
        meta: { k: 'v' },
      });
    });

    it('should delete many records by id and return the count', async () => {
      await d.bulkCreate('people', [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
      await expect(d.bulkDelete('people', ['a', 'b'])).resolves.toBe(2);
      expect((await d.find('people', {})).map((r) => r.id)).toEqual(['c']);
    });

    it('should leave the table as it was when a duplicate id fails the batch', async () => {
      await d.create('people', { id: 'dup', name: 'original' });
      const batch = [
        { id: 'n1', name: 'one' },
        { id: 'n2', name: 'two' },
        { id: 'dup', name: 'clash' },
        { id: 'n4', name: 'four' },
        { id: 'n5', name: 'five' },
      ];
      await expect(d.bulkCreate('people', batch)).rejects.toMatchObject({
        name: 'ObjectQLError',
      });
      expect(await d.find('people', {})).toEqual([expect.objectContaining({ id: 'dup', name: 'original' })]);
    });
  });

  describe('when updating or deleting by filter', () => {
    beforeEach(async () => {
      await d.bulkCreate('people', [
        { id: '1', name: 'A', age: 1, active: true },
        { id: '2', name: 'B', age: 2, active: true },
        { id: '3', name: 'C', age: 3, active: false },
      ]);
    });

    it('should update the matching records and report the number both ways', async () => {
      await expect(d.updateMany('people', { active: true }, { age: 10, meta: { m: 1 } })).resolves.toEqual({
        affected: 2,
        modifiedCount: 2,
      });
      expect(byKey(await d.find('people', {})).map((r) => [r.id, r.age, r.meta])).toEqual([
        ['1', 10, { m: 1 }],
        ['2', 10, { m: 1 }],
        ['3', 3, null],
      ]);
    });

    it('should report 0 when nothing matches', async () => {
      await expect(d.updateMany('people', { name: 'nobody' }, { age: 9 })).resolves.toMatchObject({
        affected: 0,
        modifiedCount: 0,
      });
    });

    it('should delete the matching records and report the number both ways', async () => {
      await expect(d.deleteMany('people', { age: { $lt: 3 } })).resolves.toEqual({
        affected: 2,
        deletedCount: 2,
      });
      expect((await d.find('people', {})).map((r) => r.id)).toEqual(['3']);
    });

    it('should accept the legacy array form', async () => {
      await expect(d.deleteMany('people', ['name', 'in', ['A', 'C']])).resolves.toMatchObject({
        affected: 2,
      });
      await expect(d.count('people', {})).resolves.toBe(1);
    });
  });
});

describe('given values of every kind', () => {
  const sandbox = useSandbox();
  let d: TursoDriver;

  beforeEach(async () => {
    d = sandbox.driver({ url: sandbox.fileUrl() });
    await d.init([
      {
        name: 'things',
        fields: {
          title: { type: 'text' },
          n: { type: 'integer' },
          price: { type: 'currency' },
          flag: { type: 'boolean' },
          toggle: { type: 'toggle' },
          doc: { type: 'json' },
          obj: { type: 'object' },
          arr: { type: 'array' },
          tags: { type: 'multiselect' },
          at: { type: 'datetime' },
          data: { type: 'blob' },
        },
      },
    ]);
  });

  it('should round-trip JSON fields as objects and arrays', async () => {
    const doc = {
      role: 'admin',
      nested: { list: [1, 'two', null, { deep: true }] },
    };
    await d.create('things', {
      id: 'j',
      doc,
      obj: { a: 1 },
      arr: [1, 2, 3],
      tags: ['x', 'y'],
    });
    expect(await d.findOne('things', 'j')).toMatchObject({
      doc,
      obj: { a: 1 },
      arr: [1, 2, 3],
      tags: ['x', 'y'],
    });
    const raw = await d.execute('SELECT "doc", "arr" FROM "things" WHERE "id" = ?', ['j']);
    expect(JSON.parse(raw.rows[0].doc as string)).toEqual(doc);
    expect(typeof raw.rows[0].arr).toBe('string');
  });

  it('should read stored text that is not JSON back as the string, in every read path', async () => {
    await d.execute('INSERT INTO "things" ("id", "doc", "arr") VALUES (?, ?, ?)', ['bad', '{oops', '[1,']);
    await d.create('things', { id: 'good', doc: { ok: true }, arr: '"just text"' });
    expect(await d.findOne('things', 'bad')).toMatchObject({ doc: '{oops', arr: '[1,' });
    const rows = await d.find('things', { orderBy: [{ field: 'id', order: 'asc' }] });
    expect(rows.map((r) => [r.doc, r.arr])).toEqual([
      ['{oops', '[1,'],
      [{ ok: true }, 'just text'],
    ]);
    // A failed parse leaves no pending exception behind: the next calls work.
    expect(await d.distinct('things', 'doc')).toEqual(expect.arrayContaining(['{oops', { ok: true }]));
    expect(await d.count('things', {})).toBe(2);
  });

  it('should round-trip boolean fields as true/false, stored as 1/0', async () => {
    await d.create('things', { id: 't', flag: true, toggle: false });
    const found = await d.findOne('things', 't');
    expect(found!.flag).toBe(true);
    expect(found!.toggle).toBe(false);
    const raw = await d.execute('SELECT "flag", "toggle" FROM "things"');
    expect(raw.rows[0]).toEqual({ flag: 1, toggle: 0 });
  });

  it('should find records by a boolean value', async () => {
    await d.bulkCreate('things', [
      { id: 'on', flag: true },
      { id: 'off', flag: false },
    ]);
    expect((await d.find('things', { where: { flag: true } })).map((r) => r.id)).toEqual(['on']);
    expect((await d.find('things', { where: { flag: false } })).map((r) => r.id)).toEqual(['off']);
  });

  it('should store null and undefined as NULL', async () => {
    await d.create('things', {
      id: 'n',
      title: null,
      n: undefined,
      doc: null,
      arr: undefined,
    });
    expect(await d.findOne('things', 'n')).toMatchObject({
      title: null,
      n: null,
      doc: null,
      arr: null,
    });
    const raw = await d.execute(
      'SELECT typeof("title") AS a, typeof("n") AS b, typeof("doc") AS c FROM "things"',
    );
    expect(raw.rows[0]).toEqual({ a: 'null', b: 'null', c: 'null' });
  });

  it('should store a Date as an ISO-8601 string', async () => {
    const at = new Date('2024-01-02T03:04:05.678Z');
    await d.create('things', { id: 'd', at });
    expect((await d.findOne('things', 'd'))!.at).toBe('2024-01-02T03:04:05.678Z');
    const raw = await d.execute('SELECT typeof("at") AS t FROM "things"');
    expect(raw.rows[0].t).toBe('text');
  });

  it('should compare a Date filter value with the stored ISO string', async () => {
    await d.bulkCreate('things', [
      { id: 'old', at: new Date('2020-01-01T00:00:00.000Z') },
      { id: 'new', at: new Date('2024-06-01T00:00:00.000Z') },
    ]);
    const rows = await d.find('things', {
      where: { at: { $gte: new Date('2023-01-01T00:00:00.000Z') } },
    });
    expect(rows.map((r) => r.id)).toEqual(['new']);
  });

  it('should keep whole numbers as integers and fractions as reals', async () => {
    await d.create('things', { id: 'i', n: 2 ** 40, price: 19.99, title: 'x' });
    const found = await d.findOne('things', 'i');
    expect(found).toMatchObject({ n: 2 ** 40, price: 19.99 });
    const raw = await d.execute('SELECT typeof("n") AS t FROM "things"');
    expect(raw.rows[0].t).toBe('integer');
    expect(typeof found!.n).toBe('number');
  });

  it('should return integers beyond ±2^53 as BigInt and accept BigInt input', async () => {
    const big = 2n ** 60n + 1n;
    const negative = -(2n ** 53n) - 1n;
    await d.create('things', { id: 'b1', n: big });
    await d.create('things', { id: 'b2', n: negative });
    await d.create('things', { id: 'b3', n: 42n });
    expect((await d.findOne('things', 'b1'))!.n).toBe(big);
    expect((await d.findOne('things', 'b2'))!.n).toBe(negative);
    expect((await d.findOne('things', 'b3'))!.n).toBe(42);
    expect((await d.find('things', { where: { n: big } })).map((r) => r.id)).toEqual(['b1']);
  });

  it('should round-trip a Buffer as a Buffer', async () => {
    const bytes = Buffer.from([0, 1, 2, 127, 128, 255]);
    await d.create('things', { id: 'blob', data: bytes });
    const found = await d.findOne('things', 'blob');
    expect(Buffer.isBuffer(found!.data)).toBe(true);
    expect(Buffer.from(found!.data as Buffer).equals(bytes)).toBe(true);
    const raw = await d.execute('SELECT typeof("data") AS t, length("data") AS n FROM "things"');
    expect(raw.rows[0]).toEqual({ t: 'blob', n: 6 });
  });

  it('should round-trip text with quotes, NUL-free unicode and emoji', async () => {
    const title = `it's "quoted" — ünïcødé 🚀 \\ back\nline`;
    await d.create('things', { id: 'u', title });
    expect((await d.findOne('things', 'u'))!.title).toBe(title);
  });
});

describe('given executeCommand', () => {
  const sandbox = useSandbox();
  let d: TursoDriver;

  beforeEach(async () => {
    d = sandbox.driver({ url: ':memory:' });
    await d.init([
      {
        name: 'items',
        fields: {
          name: { type: 'text', required: true },
          done: { type: 'boolean' },
        },
      },
    ]);
  });

  it('should create and return the record', async () => {
    const res = await d.executeCommand({
      type: 'create',
      object: 'items',
      data: { name: 'cmd', done: true },
    });
    expect(res).toMatchObject({ success: true, affected: 1 });
    expect(res.data).toMatchObject({
      name: 'cmd',
      done: true,
      id: expect.stringMatching(ID_PATTERN),
    });
  });

  it('should update and delete by id', async () => {
    await d.create('items', { id: 'a', name: 'before' });
    const upd = await d.executeCommand({
      type: 'update',
      object: 'items',
      id: 'a',
      data: { name: 'after' },
    });
    expect(upd).toMatchObject({ success: true, affected: 1 });
    expect((upd.data as DataRecord).name).toBe('after');
    await expect(d.executeCommand({ type: 'delete', object: 'items', id: 'a' })).resolves.toMatchObject({
      success: true,
      affected: 1,
    });
    await expect(d.count('items', {})).resolves.toBe(0);
  });

  it('should run the bulk commands', async () => {
    await expect(
      d.executeCommand({
        type: 'bulkCreate',
        object: 'items',
        records: [
          { id: 'a', name: 'A' },
          { id: 'b', name: 'B' },
        ],
      }),
    ).resolves.toMatchObject({ success: true, affected: 2 });
    await expect(
      d.executeCommand({
        type: 'bulkUpdate',
        object: 'items',
        updates: [{ id: 'a', data: { name: 'AA' } }],
      }),
    ).resolves.toMatchObject({ success: true, affected: 1 });
    expect(await d.findOne('items', 'a')).toMatchObject({ name: 'AA' });
    await expect(
      d.executeCommand({
        type: 'bulkDelete',
        object: 'items',
        ids: ['a', 'b'],
      }),
    ).resolves.toMatchObject({
      success: true,
      affected: 2,
    });
    await expect(d.count('items', {})).resolves.toBe(0);
  });

  it('should answer an unknown type with success false', async () => {
    await expect(d.executeCommand({ type: 'explode', object: 'items' })).resolves.toMatchObject({
      success: false,
      affected: 0,
    });
  });

  it('should return a failure instead of throwing', async () => {
    await expect(
      d.executeCommand({
        type: 'create',
        object: 'items',
        data: { done: true },
      }),
    ).resolves.toMatchObject({
      success: false,
      affected: 0,
    });
    await expect(
      d.executeCommand({
        type: 'create',
        object: 'no_such_table',
        data: { name: 'x' },
      }),
    ).resolves.toMatchObject({
      success: false,
      affected: 0,
    });
    await expect(d.count('items', {})).resolves.toBe(0);
  });
});
