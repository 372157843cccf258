// Small places where the driver parted from 4.2.2 (or from the kernel's SQL driver) without
// meaning to: a configuration 4.2.2 served, a column a row lost, a tenant a write could
// leave.

import type { ConformanceDriver } from './support/conformance';
import { referenceDriverFactory } from './support/reference';
import { DB_KINDS, urlFor, useSandbox } from './util';

const NOTE = { name: 'note', fields: { body: { type: 'text' } } };

/** A logger that keeps what it is told. */
function recorder() {
  const seen: string[] = [];
  const log = (message: string) => void seen.push(message);
  return { seen, logger: { warn: log, error: log } };
}

describe('given a server url with the options of a local file', () => {
  const sandbox = useSandbox('remote');

  it('should serve the server, as 4.2.2 did, and warn once naming each option without effect', async () => {
    const { seen, logger } = recorder();
    const url = sandbox.server().url;
    // The 4.2.2 suite's "should accept all configuration options".
    const d = sandbox.driver({
      url,
      authToken: 'token',
      syncUrl: 'libsql://primary.example.com',
      encryptionKey: 'key',
      sync: { intervalSeconds: 30, onConnect: true },
      timeout: 5000,
      logger,
    });
    expect(d.transportMode).toBe('remote');
    expect(d.isSyncEnabled()).toBe(false);
    expect(d.getTursoConfig()).toMatchObject({ syncUrl: 'libsql://primary.example.com', timeout: 5000 });

    await d.connect();
    await d.init([NOTE]);
    await d.create('note', { id: 'n1', body: 'on the server' });
    await d.disconnect();
    await d.connect();
    expect(await d.find('note', {})).toEqual([{ id: 'n1', body: 'on the server' }]);
    // The row is on the server, read outside the driver.
    expect(JSON.stringify(await sandbox.server().pipeline(['SELECT body FROM note']))).toContain(
      'on the server',
    );

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/"syncUrl", "encryptionKey", "sync" have no effect/);
    // What does take effect on a server is not named, nor is the url (it may carry a token).
    expect(seen[0]).not.toMatch(/timeout|authToken|127\.0\.0\.1/);
  });

  it('should name only the options given, and say nothing when there are none', async () => {
    const url = sandbox.server().url;
    const one = recorder();
    await sandbox.driver({ url, encryptionKey: 'key', logger: one.logger }).connect();
    expect(one.seen).toEqual([expect.stringMatching(/serves; "encryptionKey" has no effect/)]);

    const none = recorder();
    await sandbox.driver({ url, timeout: 5000, logger: none.logger }).connect();
    expect(none.seen).toEqual([]);
  });

  it('should still refuse what no driver could serve: a replica or a key in memory', () => {
    for (const config of [
      { url: ':memory:', syncUrl: 'libsql://primary.example.com' },
      { url: ':memory:', encryptionKey: 'key' },
    ]) {
      expect(() => sandbox.driver(config)).toThrow(expect.objectContaining({ code: 'CONFIG_ERROR' }));
    }
  });
});

describe('given a column named __proto__', () => {
  const sandbox = useSandbox();

  /** JSON.parse makes `__proto__` an own key, where an object literal would set the prototype. */
  const own = <T = Record<string, unknown>>(json: string): T => JSON.parse(json);
  /**
   * A plain object's prototype, untouched (an Object.prototype, though not this file's: Jest
   * runs tests in a realm of their own, the addon makes objects in Node's).
   */
  const plainPrototype = (row: unknown) => {
    expect(Object.getPrototypeOf(row)).toHaveProperty('hasOwnProperty');
    expect(Object.getPrototypeOf(Object.getPrototypeOf(row))).toBeNull();
  };
  /** The row as better-sqlite3 gives it: every column an own property, in order. */
  const plain = (row: unknown, expected: Record<string, unknown>) => {
    plainPrototype(row);
    expect(Object.entries(row as object)).toEqual(Object.entries(expected));
  };
  const kept = (row: unknown, value: unknown) => {
    plainPrototype(row);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')).toMatchObject({ value, enumerable: true });
  };

  it.each(['objectql', 'objectstack'] as const)(
    'should keep it an own property of every row the %s contract reads or returns',
    async (contract) => {
      const d = sandbox.driver({ url: sandbox.fileUrl(), contract });
      const raw: unknown = await d.execute('select 1 as "__proto__", 2 as b');
      const rows = contract === 'objectql' ? (raw as { rows: unknown[] }).rows : (raw as unknown[]);
      plain(rows[0], own('{"__proto__":1,"b":2}'));

      await d.init([{ name: 't', fields: own('{"__proto__":{"type":"text"},"b":{"type":"integer"}}') }]);
      kept(await d.create('t', own('{"id":"x","__proto__":"p","b":2}')), 'p');
      const bulk: unknown = await d.bulkCreate('t', [own('{"id":"y","__proto__":"q","b":3}')]);
      // The kernel's bulkCreate answers with its rows, built apart from find's.
      if (contract === 'objectstack') kept((bulk as unknown[])[0], 'q');
      kept(await d.findOne('t', 'x'), 'p');
      kept(await d.update('t', 'x', own('{"__proto__":"p2"}')), 'p2');
      const found = await d.find('t', { fields: ['id', '__proto__'], sort: [['id', 'asc']] });
      expect(found).toHaveLength(2);
      plain(found[0], own('{"id":"x","__proto__":"p2"}'));
      plain(found[1], own('{"id":"y","__proto__":"q"}'));
      const grouped = await d.aggregate('t', {
        groupBy: ['b'],
        aggregations: [{ function: 'count', alias: '__proto__' }],
      });
      expect(grouped).toHaveLength(2);
      for (const row of grouped) kept(row, 1);
    },
  );
});

describe('given a write whose data names another tenant in the tenant field', () => {
  const sandbox = useSandbox('remote');
  const ACCOUNT = {
    name: 'account',
    fields: { name: { type: 'text' }, organization_id: { type: 'text' } },
  };
  const A = { tenantId: 'A' };
  const B = { tenantId: 'B' };
  const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id).sort();

  /**
   * Tenant A's update, updateMany and upsert each name tenant B; then where every row is,
   * read unscoped, and what each tenant sees. In the kernel's shapes; `many` is how the
   * contract's updateMany takes its rows, `upsert` how its upsert is called.
   */
  async function writeAcross(
    d: ConformanceDriver,
    many: (where: object) => unknown,
    upsert: (data: object) => Promise<{ organization_id?: string } | null>,
  ) {
    await d.initObjects([ACCOUNT]);
    for (const id of ['a1', 'a2', 'a3']) await d.create('account', { id, name: id }, A);
    await d.create('account', { id: 'b1', name: 'b1' }, B);
    const updated = await d.update('account', 'a1', { name: 'moved', organization_id: 'B' }, A);
    const updatedMany = await d.updateMany('account', many({ id: 'a2' }), { organization_id: 'B' }, A);
    const upserted = await upsert({ id: 'a3', name: 'upserted', organization_id: 'B' });
    const rows: Array<{ id: string; organization_id: string }> = await d.find('account', {});
    return {
      updated,
      updatedMany,
      upserted: upserted?.organization_id,
      where: rows.map((r) => [r.id, r.organization_id]).sort(),
      aSees: ids(await d.find('account', {}, A)),
      bSees: ids(await d.find('account', {}, B)),
    };
  }

  const moved = {
    upserted: 'B',
    where: [
      ['a1', 'B'],
      ['a2', 'B'],
      ['a3', 'B'],
      ['b1', 'B'],
    ],
    aSees: [],
    bSees: ['a1', 'a2', 'a3', 'b1'],
  };

  // Memory reads an update back with a scoped lookup, a WAL file and a server take
  // RETURNING's row: each must answer alike.
  it.each(DB_KINDS)(
    "should write it as the kernel's SQL driver does on %s: the row moves, update answers null",
    async (kind) => {
      const native = sandbox.driver({ url: urlFor(sandbox, kind), contract: 'objectstack' });
      const reference = await referenceDriverFactory('reference.db')(sandbox.dir());
      await reference.connect();
      try {
        const answers = await Promise.all(
          [native, reference].map((d) =>
            writeAcross(
              d,
              (where) => ({ where }),
              (data) => d.upsert('account', data, ['id'], A),
            ),
          ),
        );
        expect(answers[0]).toEqual({ ...moved, updated: null, updatedMany: 1 });
        expect(answers[0]).toEqual(answers[1]);
      } finally {
        await reference.disconnect();
      }
    },
  );

  it('should do the same under the 4.2.2 contract, in its shapes', async () => {
    const d = sandbox.driver({ url: sandbox.fileUrl() });
    const answer = await writeAcross(
      d,
      (where) => where,
      (data) => d.upsert('account', data as never, A),
    );
    // 4.2.2 answers an update of a row it cannot find with the data it was given.
    expect(answer).toEqual({
      ...moved,
      updated: { id: 'a1', name: 'moved', organization_id: 'B' },
      updatedMany: { affected: 1, modifiedCount: 1 },
    });
  });

  it('should leave raw execute unscoped, with or without a tenant', async () => {
    const d = sandbox.driver({ url: sandbox.fileUrl(), contract: 'objectstack' });
    await d.initObjects([ACCOUNT]);
    await d.create('account', { id: 'a1', name: 'a1' }, A);
    await d.create('account', { id: 'b1', name: 'b1' }, B);
    const raw: unknown = await d.execute('SELECT id FROM account', [], A);
    expect(ids(raw as Array<{ id: string }>)).toEqual(['a1', 'b1']);
    await d.execute('INSERT INTO account (id, name) VALUES (?, ?)', ['x1', 'raw'], A);
    expect(await d.findOne('account', 'x1')).toMatchObject({ organization_id: null });
  });
});
