// The kernel SqlDriver's methods apps call beyond the engine's: findWithWindowFunctions,
// analyzeQuery / explain, and the aggregate refusals in the kernel's codes.

import { TursoDriver } from '..';
import { useSandbox } from './util';

type Row = Record<string, unknown>;

const ORDERS = {
  name: 'orders',
  fields: {
    customer: { type: 'text' },
    amount: { type: 'number' },
    status: { type: 'text' },
  },
};

const box = useSandbox();

async function seeded(): Promise<TursoDriver> {
  const d = box.driver({ url: box.fileUrl(), contract: 'objectstack' });
  await d.init([ORDERS as never]);
  await d.bulkCreate('orders', [
    { id: '1', customer: 'Alice', amount: 1200, status: 'completed' },
    { id: '2', customer: 'Bob', amount: 25.5, status: 'completed' },
    { id: '3', customer: 'Alice', amount: 75, status: 'pending' },
    { id: '4', customer: 'Charlie', amount: 350, status: 'completed' },
    { id: '5', customer: 'Bob', amount: 1200, status: 'cancelled' },
  ]);
  return d;
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string; status?: number; message: string }) => ({
      code: e.code,
      status: e.status,
      message: e.message,
    }),
  );

describe('findWithWindowFunctions', () => {
  it('adds ranking columns, partitioned and ordered, on the filtered rows', async () => {
    const d = await seeded();
    const rows = await d.findWithWindowFunctions('orders', {
      where: { status: { $ne: 'cancelled' } },
      windowFunctions: [
        {
          function: 'ROW_NUMBER',
          alias: 'nth',
          partitionBy: ['customer'],
          orderBy: [{ field: 'amount', order: 'desc' }],
        },
        { function: 'dense_rank', alias: 'place', orderBy: [{ field: 'amount', order: 'desc' }] },
      ],
      orderBy: [{ field: 'amount', order: 'desc' }],
    });
    expect(rows.map((r: Row) => [r.id, r.nth, r.place])).toEqual([
      ['1', 1, 1],
      ['4', 1, 2],
      ['3', 2, 3],
      ['2', 1, 4],
    ]);
    expect(rows[0]).toMatchObject({ customer: 'Alice', amount: 1200, status: 'completed' });
  });

  it('refuses functions outside its list and unquotable input instead of splicing them', async () => {
    const d = await seeded();
    for (const windowFunctions of [
      [{ function: 'SUM(amount)', alias: 's' }],
      [{ function: 'rank) OVER (); DROP TABLE orders; --', alias: 's' }],
      [{ function: 'RANK' } as never],
    ]) {
      expect(await refusal(d.findWithWindowFunctions('orders', { windowFunctions }))).toMatchObject({
        code: 'INVALID_REQUEST',
      });
    }
    expect(await d.count('orders', {})).toBe(5);
  });
});

describe('analyzeQuery and explain', () => {
  it("answer the kernel's shape: the statement, its bindings, the dialect and SQLite's plan", async () => {
    const d = await seeded();
    const analysis = await d.analyzeQuery('orders', {
      where: { $and: [{ status: 'completed' }, { amount: { $gt: 100 } }] },
      orderBy: [{ field: 'amount', order: 'desc' }],
      limit: 10,
    });
    expect(analysis.client).toBe('better-sqlite3');
    expect(analysis.sql).toMatch(/^SELECT .* FROM "orders" WHERE .* ORDER BY .* LIMIT 10$/);
    expect(analysis.bindings).toEqual(['completed', 100]);
    expect(analysis.plan!.length).toBeGreaterThan(0);
    expect(analysis.plan![0]).toHaveProperty('detail');
    expect(await d.explain('orders', { where: { status: 'completed' } })).toMatchObject({
      client: 'better-sqlite3',
      bindings: ['completed'],
    });
  });

  it('the tenant condition a find would carry is in the analysed statement', async () => {
    const d = box.driver({ url: box.fileUrl(), contract: 'objectstack' });
    await d.init([{ name: 'deal', fields: { organization_id: { type: 'text' }, stage: { type: 'text' } } }]);
    const analysis = await d.analyzeQuery('deal', { where: { stage: 'won' } }, { tenantId: 'org-1' });
    expect(analysis.sql).toContain('"organization_id"');
    expect(analysis.bindings).toEqual(['won', 'org-1']);
  });
});

describe('aggregate refusals in the kernel codes', () => {
  const agg = (
    d: TursoDriver,
    aggregation: { function: string; field?: string; alias: string; filter?: Row },
  ) => d.aggregate('orders', { aggregations: [aggregation] });

  it('a function the Query Protocol does not declare (case-sensitive) is INVALID_QUERY 400', async () => {
    const d = await seeded();
    for (const fn of ['median', 'COUNT', 'group_concat']) {
      const err = await refusal(agg(d, { function: fn, field: 'amount', alias: 'x' }));
      expect(err).toMatchObject({ code: 'INVALID_QUERY', status: 400 });
      expect((err as { message: string }).message).toContain(`"${fn}" is not a declared aggregate function`);
      expect((err as { message: string }).message).toContain('count, sum, avg, min, max, count_distinct');
    }
  });

  it('a per-aggregation filter is NOT_IMPLEMENTED 501 (the engine computes it), an empty one is none', async () => {
    const d = await seeded();
    expect(
      await refusal(agg(d, { function: 'count', alias: 'n', filter: { status: 'completed' } })),
    ).toMatchObject({
      code: 'NOT_IMPLEMENTED',
      status: 501,
    });
    expect(await agg(d, { function: 'sum', field: 'amount', alias: 'total', filter: {} })).toEqual([
      { total: 2850.5 },
    ]);
  });
});

test('create takes a Mongo-style _id as the id when none is given (kernel contract)', async () => {
  const d = await seeded();
  const row = await d.create('orders', { _id: 'custom', customer: 'Frank' } as Row);
  expect(row.id).toBe('custom');
  expect(row).not.toHaveProperty('_id');
  expect(await d.findOne('orders', { where: { id: 'custom' } })).toMatchObject({ customer: 'Frank' });
});

/** The engine's in-memory ISO week (`bucketDateValue(value, 'week')` in @objectstack/objectql). */
function isoWeek(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7) + 3);
  const firstThursday = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
  const week =
    1 +
    Math.round(
      ((d.getTime() - firstThursday.getTime()) / 864e5 - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7,
    );
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

describe.each(['file', 'remote'] as const)('week buckets (%s)', (kind) => {
  const sandbox = useSandbox(kind);

  it("answer the engine's ISO weeks across year boundaries, whatever SQLite the server runs", async () => {
    const url = kind === 'remote' ? sandbox.server().url : sandbox.fileUrl();
    const d = sandbox.driver({ url, contract: 'objectstack' });
    await d.init([{ name: 'ev', fields: { at: { type: 'datetime' } } }]);
    const days: string[] = [];
    for (let t = Date.UTC(2020, 11, 20); t <= Date.UTC(2027, 0, 10); t += 7 * 864e5 + 36e5 * 5) {
      days.push(new Date(t).toISOString().slice(0, 10));
    }
    await d.bulkCreate(
      'ev',
      days.map((day, i) => ({ id: String(i), at: `${day}T12:00:00.000Z` })),
    );
    const rows = await d.aggregate('ev', {
      groupBy: [{ field: 'at', dateGranularity: 'week', alias: 'week' }],
      aggregations: [{ function: 'count', alias: 'n' }],
    });
    const expected = new Map<string, number>();
    for (const day of days) expected.set(isoWeek(day), (expected.get(isoWeek(day)) ?? 0) + 1);
    expect(new Map(rows.map((r) => [r.week as string, r.n as number]))).toEqual(expected);
  });
});

describe("the kernel Turso driver's transport surface", () => {
  it('isRemote follows the url; a mode that disagrees is refused, one that agrees is taken', () => {
    const modes = (config: Record<string, unknown>) => {
      const d = new TursoDriver(config as never);
      return [d.transportMode, d.isRemote];
    };
    expect(modes({ url: ':memory:' })).toEqual(['local', false]);
    expect(modes({ url: 'libsql://db.example.com', authToken: 't' })).toEqual(['remote', true]);
    expect(modes({ url: 'http://127.0.0.1:1', mode: 'remote' })).toEqual(['remote', true]);
    expect(modes({ url: 'file:/tmp/x.db', syncUrl: 'http://127.0.0.1:1' })).toEqual(['replica', false]);
    expect(() => new TursoDriver({ url: 'file:/tmp/x.db', mode: 'remote' } as never)).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringContaining('"mode"') }),
    );
  });
});

test('after disconnect() the kernel health probe answers false until the database is used again', async () => {
  const d = await seeded();
  expect(await d.checkHealth()).toBe(true);
  await d.disconnect();
  expect(await d.checkHealth()).toBe(false);
  expect(await d.count('orders', {})).toBe(5);
  expect(await d.checkHealth()).toBe(true);
});

test('an external object reads, filters, sorts and writes its fields through external.columnMap', async () => {
  const d = box.driver({ url: box.fileUrl(), contract: 'objectstack' });
  await d.execute(
    'CREATE TABLE legacy_cust (cust_id TEXT PRIMARY KEY, full_name TEXT, region_code TEXT, ltv REAL, signup_dt TEXT)',
  );
  await d.execute(
    `INSERT INTO legacy_cust VALUES ('c1', 'Aurora', 'NA', 480, '2026-01-10'), ('c2', 'Borealis', 'EU', 312, '2026-02-15'), ('c3', 'Cyan', 'EU', 95, '2026-03-01')`,
  );
  await d.registerExternalObject({
    name: 'customer',
    external: {
      remoteName: 'legacy_cust',
      columnMap: {
        cust_id: 'id',
        full_name: 'name',
        region_code: 'region',
        ltv: 'value',
        signup_dt: 'signed_up',
      },
    },
    fields: {
      name: { type: 'text' },
      region: { type: 'text' },
      value: { type: 'number' },
      signed_up: { type: 'date' },
    },
  });
  const rows = await d.find('customer', {
    where: { region: 'EU' },
    orderBy: [{ field: 'value', order: 'desc' }],
  });
  expect(rows).toEqual([
    { id: 'c2', name: 'Borealis', region: 'EU', value: 312, signed_up: '2026-02-15' },
    { id: 'c3', name: 'Cyan', region: 'EU', value: 95, signed_up: '2026-03-01' },
  ]);
  expect(await d.count('customer', { where: { value: { $gte: 312 } } })).toBe(2);
  expect(
    await d.findOne('customer', { where: { signed_up: new Date('2026-01-10T00:00:00Z') } }),
  ).toMatchObject({
    id: 'c1',
  });
  expect(await d.update('customer', 'c3', { value: 100 })).toMatchObject({ id: 'c3', value: 100 });
  expect(await d.create('customer', { id: 'c4', name: 'Dawn', region: 'NA' })).toMatchObject({
    id: 'c4',
    name: 'Dawn',
  });
  expect(
    await d.execute(`SELECT cust_id, ltv FROM legacy_cust WHERE cust_id IN ('c3', 'c4') ORDER BY cust_id`),
  ).toEqual([
    { cust_id: 'c3', ltv: 100 },
    { cust_id: 'c4', ltv: null },
  ]);
});
