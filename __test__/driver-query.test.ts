import { TursoDriver, type DataRecord, type FindQuery } from '..';
import { DB_KINDS, byKey, urlFor, useSandbox } from './util';

const ORDERS = {
  name: 'orders',
  fields: {
    product: { type: 'text' },
    amount: { type: 'float' },
    category: { type: 'text' },
    status: { type: 'select' },
    qty: { type: 'integer' },
  },
};

const SEED: DataRecord[] = [
  {
    id: 'o1',
    product: 'Widget A',
    amount: 100,
    category: 'electronics',
    status: 'open',
    qty: 1,
  },
  {
    id: 'o2',
    product: 'Widget B',
    amount: 200,
    category: 'electronics',
    status: 'closed',
    qty: 2,
  },
  {
    id: 'o3',
    product: 'Gadget C',
    amount: 150,
    category: 'gadgets',
    status: 'open',
    qty: 3,
  },
  {
    id: 'o4',
    product: 'Gizmo D',
    amount: 50,
    category: 'gadgets',
    status: 'open',
    qty: 4,
  },
  {
    id: 'o5',
    product: 'Thing E',
    amount: 75,
    category: 'misc',
    status: null,
    qty: 5,
  },
];

const ids = (rows: DataRecord[]): unknown[] => rows.map((r) => r.id);

describe.each(DB_KINDS)('given an orders table (%s)', (kind) => {
  const sandbox = useSandbox(kind);
  let d: TursoDriver;

  beforeEach(async () => {
    d = sandbox.driver({ url: urlFor(sandbox, kind) });
    await d.init([ORDERS]);
    await d.bulkCreate('orders', SEED);
  });

  describe('when finding with a filter', () => {
    it('should take the filter from filters, where or filter', async () => {
      const f = { amount: { $gt: 90 } };
      for (const q of [{ filters: f }, { where: f }, { filter: f }] as FindQuery[]) {
        expect(byKey(await d.find('orders', q)).map((r) => r.id)).toEqual(['o1', 'o2', 'o3']);
      }
    });

    it('should return everything for an empty query or none', async () => {
      expect(await d.find('orders', {})).toHaveLength(5);
      expect(await d.find('orders')).toHaveLength(5);
    });

    it.each<[string, unknown, string[]]>([
      ['equality', { category: 'gadgets' }, ['o3', 'o4']],
      ['null equality', { status: null }, ['o5']],
      ['$ne', { category: { $ne: 'electronics' } }, ['o3', 'o4', 'o5']],
      ['$ne null', { status: { $ne: null } }, ['o1', 'o2', 'o3', 'o4']],
      ['$gte and $lte', { amount: { $gte: 75, $lte: 150 } }, ['o1', 'o3', 'o5']],
      ['$in', { product: { $in: ['Widget A', 'Gizmo D'] } }, ['o1', 'o4']],
      ['$nin', { category: { $nin: ['electronics', 'gadgets'] } }, ['o5']],
      ['empty $in', { category: { $in: [] } }, []],
      ['empty $nin', { category: { $nin: [] } }, ['o1', 'o2', 'o3', 'o4', 'o5']],
      ['$like', { product: { $like: 'Widget%' } }, ['o1', 'o2']],
      ['$exists false', { status: { $exists: false } }, ['o5']],
      ['$between', { qty: { $between: [2, 4] } }, ['o2', 'o3', 'o4']],
      ['$or', { $or: [{ category: 'misc' }, { amount: { $gt: 180 } }] }, ['o2', 'o5']],
      ['$and', { $and: [{ category: 'gadgets' }, { amount: { $lt: 100 } }] }, ['o4']],
      ['$not', { $not: { category: 'electronics' } }, ['o3', 'o4', 'o5']],
      ['legacy array', ['amount', '>', 90], ['o1', 'o2', 'o3']],
      ['legacy and', ['amount', '>', 90, 'and', 'category', '=', 'gadgets'], ['o3']],
      ['legacy or', ['category', '=', 'misc', 'or', 'qty', '=', 1], ['o1', 'o5']],
      ['legacy in', ['qty', 'in', [1, 5]], ['o1', 'o5']],
      ['legacy between', ['qty', 'between', [4, 9]], ['o4', 'o5']],
    ])('should apply %s', async (_label, where, expected) => {
      expect(ids(byKey(await d.find('orders', { where: where as FindQuery['where'] })))).toEqual(expected);
    });

    it('should treat a filter value as data, never as SQL', async () => {
      const rows = await d.find('orders', {
        where: { product: "x' OR '1'='1" },
      });
      expect(rows).toEqual([]);
      await expect(d.count('orders', {})).resolves.toBe(5);
    });
  });

  describe('when sorting', () => {
    const byAmountDesc = ['o2', 'o3', 'o1', 'o5', 'o4'];

    it.each<[string, FindQuery]>([
      ['tuples', { sort: [['amount', 'desc']] }],
      ['{ field, direction }', { sort: [{ field: 'amount', direction: 'desc' }] }],
      ['{ field, order }', { sort: [{ field: 'amount', order: 'desc' }] }],
      ['{ f: -1 }', { sort: { amount: -1 } }],
      ['{ f: "desc" }', { sort: { amount: 'desc' } }],
      ['a string', { sort: 'amount desc' }],
      ['orderBy tuples', { orderBy: [['amount', 'desc']] }],
      ['orderBy { field, order }', { orderBy: [{ field: 'amount', order: 'desc' }] }],
      ['orderBy string', { orderBy: 'amount desc' }],
    ])('should sort descending given %s', async (_label, query) => {
      expect(ids(await d.find('orders', query))).toEqual(byAmountDesc);
    });

    it('should sort ascending by a bare field name', async () => {
      expect(ids(await d.find('orders', { sort: ['amount'] }))).toEqual([...byAmountDesc].reverse());
    });

    it('should sort by several keys', async () => {
      expect(ids(await d.find('orders', { sort: { category: 1, amount: -1 } }))).toEqual([
        'o2',
        'o1',
        'o3',
        'o4',
        'o5',
      ]);
      expect(ids(await d.find('orders', { sort: 'category desc, qty asc' }))).toEqual([
        'o5',
        'o3',
        'o4',
        'o1',
        'o2',
      ]);
    });

    it('should reject a direction other than asc/desc with INVALID_REQUEST', async () => {
      await expect(d.find('orders', { sort: [['amount', 'sideways' as 'asc']] })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
      await expect(d.find('orders', { sort: 'amount; DROP TABLE orders' })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
      await expect(d.count('orders', {})).resolves.toBe(5);
    });
  });

  describe('when selecting fields', () => {
    it('should return only the listed columns', async () => {
      const rows = await d.find('orders', {
        fields: ['product', 'amount'],
        where: { id: 'o1' },
      });
      expect(rows).toEqual([{ product: 'Widget A', amount: 100 }]);
    });
  });

  describe('when paging', () => {
    const sorted = { sort: [['qty', 'asc']] } as FindQuery;

    it.each<[string, FindQuery]>([
      ['limit + offset', { limit: 2, offset: 1 }],
      ['top + skip', { top: 2, skip: 1 }],
      ['pageSize + offset', { pageSize: 2, offset: 1 }],
      ['limit + skip', { limit: 2, skip: 1 }],
    ])('should page with %s', async (_label, page) => {
      expect(ids(await d.find('orders', { ...sorted, ...page }))).toEqual(['o2', 'o3']);
    });

    it('should apply a limit alone and an offset alone', async () => {
      expect(ids(await d.find('orders', { ...sorted, limit: 2 }))).toEqual(['o1', 'o2']);
      expect(ids(await d.find('orders', { ...sorted, offset: 3 }))).toEqual(['o4', 'o5']);
    });

    it('should combine filter, sort and paging', async () => {
      expect(
        ids(
          await d.find('orders', {
            where: { status: 'open' },
            sort: { amount: -1 },
            limit: 2,
            skip: 1,
          }),
        ),
      ).toEqual(['o1', 'o4']);
    });
  });

  describe('when asking for distinct values', () => {
    it('should return each value once', async () => {
      const values = await d.distinct('orders', 'category');
      expect([...values].sort()).toEqual(['electronics', 'gadgets', 'misc']);
    });

    it('should apply a filter', async () => {
      const values = await d.distinct('orders', 'category', {
        amount: { $gte: 100 },
      });
      expect([...values].sort()).toEqual(['electronics', 'gadgets']);
    });
  });

  describe('when aggregating', () => {
    it('should group with groupBy and validated aggregates', async () => {
      const rows = await d.aggregate('orders', {
        groupBy: ['category'],
        aggregates: {
          total: 'SUM("amount")',
          n: 'COUNT(*)',
          top: 'max(amount)',
        },
      });
      expect(byKey(rows, 'category')).toEqual([
        { category: 'electronics', total: 300, n: 2, top: 200 },
        { category: 'gadgets', total: 200, n: 2, top: 150 },
        { category: 'misc', total: 75, n: 1, top: 75 },
      ]);
    });

    it('should accept sum("amount"), COUNT(*), count(distinct status), avg and min in any case', async () => {
      const rows = await d.aggregate('orders', {
        aggregates: {
          s: 'sum("amount")',
          c: 'COUNT(*)',
          ds: 'count(distinct status)',
          a: 'Avg(qty)',
          m: 'MIN("qty")',
        },
      });
      expect(rows).toEqual([{ s: 575, c: 5, ds: 2, a: 3, m: 1 }]);
    });

    it('should apply filters before grouping', async () => {
      await expect(
        d.aggregate('orders', {
          aggregates: { total: 'SUM(amount)' },
          filters: { category: 'electronics' },
        }),
      ).resolves.toEqual([{ total: 300 }]);
      await expect(
        d.aggregate('orders', {
          aggregates: { total: 'SUM(amount)' },
          where: { category: 'gadgets' },
        }),
      ).resolves.toEqual([{ total: 200 }]);
    });

    it.each([
      ['a statement after the call', 'SUM(amount); DROP TABLE orders'],
      ['a function that is not an aggregate', 'LOWER(product)'],
      ['a subquery', '(SELECT 1)'],
      ['an expression argument', 'SUM(amount * 2)'],
      ['a comment', 'COUNT(*) --'],
      ['an empty string', ''],
    ])('should refuse %s with INVALID_REQUEST and run nothing', async (_label, expr) => {
      await expect(
        d.aggregate('orders', {
          groupBy: ['category'],
          aggregates: { x: expr },
        }),
      ).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
      await expect(d.count('orders', {})).resolves.toBe(5);
    });

    it('should run a pipeline: $match, $group, $sort, $limit', async () => {
      const pipeline = [
        { $match: { status: { $ne: null } } },
        {
          $group: {
            _id: '$category',
            total: { $sum: '$amount' },
            avg: { $avg: '$qty' },
            lo: { $min: '$amount' },
            hi: { $max: '$amount' },
            n: { $count: '$amount' },
          },
        },
        { $sort: { total: -1 } },
        { $limit: 1 },
      ];
      const expected = [{ _id: 'electronics', total: 300, avg: 1.5, lo: 100, hi: 200, n: 2 }];
      await expect(d.aggregate('orders', { pipeline })).resolves.toEqual(expected);
      await expect(d.aggregate('orders', pipeline)).resolves.toEqual(expected);
    });

    it('should group a pipeline by every group and sort ascending', async () => {
      const rows = await d.aggregate('orders', [
        { $group: { _id: '$category', total: { $sum: '$amount' } } },
        { $sort: { total: 1 } },
      ]);
      expect(rows).toEqual([
        { _id: 'misc', total: 75 },
        { _id: 'gadgets', total: 200 },
        { _id: 'electronics', total: 300 },
      ]);
    });
  });

  describe('when explaining', () => {
    it('should return the plan rows', async () => {
      const plan = await d.explain('orders', {
        where: { category: 'gadgets' },
      });
      expect(Array.isArray(plan)).toBe(true);
      expect(plan.length).toBeGreaterThan(0);
      expect(plan.some((row) => /SCAN|SEARCH/.test(String(row.detail)))).toBe(true);
    });

    it('should not run the query', async () => {
      await d.explain('orders', { where: { id: 'o1' } });
      await expect(d.count('orders', {})).resolves.toBe(5);
    });
  });

  describe('when running raw SQL', () => {
    it('should run a string with parameters', async () => {
      const res = await d.execute(
        'SELECT "id", "amount" FROM "orders" WHERE "amount" > ? ORDER BY "amount"',
        [120],
      );
      expect(res.rows).toEqual([
        { id: 'o3', amount: 150 },
        { id: 'o2', amount: 200 },
      ]);
      expect(res.columns).toEqual(['id', 'amount']);
    });

    it('should run { sql, args } and report rows affected', async () => {
      const res = await d.execute({
        sql: 'UPDATE "orders" SET "qty" = "qty" + ? WHERE "category" = ?',
        args: [10, 'gadgets'],
      });
      expect(res.rowsAffected).toBe(2);
      expect(res.rows).toEqual([]);
      expect((await d.findOne('orders', 'o4'))!.qty).toBe(14);
    });

    it('should report the last inserted rowid', async () => {
      await d.execute('CREATE TABLE "k" ("a" INTEGER)');
      const first = await d.execute('INSERT INTO "k" ("a") VALUES (?)', [7]);
      const second = await d.execute({
        sql: 'INSERT INTO "k" ("a") VALUES (?), (?)',
        args: [8, 9],
      });
      expect(first.rowsAffected).toBe(1);
      expect(Number(first.lastInsertRowid)).toBe(1);
      expect(second.rowsAffected).toBe(2);
      expect(Number(second.lastInsertRowid)).toBe(3);
    });

    it('should return integers beyond 2^53 as BigInt and small ones as numbers', async () => {
      const res = await d.execute(
        'SELECT 9007199254740993 AS big, -9007199254740993 AS neg, 42 AS small, 1.5 AS f',
      );
      expect(res.rows).toEqual([{ big: 9007199254740993n, neg: -9007199254740993n, small: 42, f: 1.5 }]);
    });

    it('should bind null, booleans, BigInt and Buffers', async () => {
      const res = await d.execute('SELECT ? AS n, ? AS t, ? AS b, typeof(?) AS blob', [
        null,
        true,
        2n ** 62n,
        Buffer.from([1]),
      ]);
      expect(res.rows).toEqual([{ n: null, t: 1, b: 2n ** 62n, blob: 'blob' }]);
    });
  });

  describe('when running executeQuery', () => {
    it('should read the object name from object or from', async () => {
      await expect(d.executeQuery({ object: 'orders', where: { category: 'misc' } })).resolves.toMatchObject({
        value: [expect.objectContaining({ id: 'o5' })],
      });
      const res = await d.executeQuery({
        from: 'orders',
        sort: [['qty', 'desc']],
        limit: 2,
      });
      expect(ids(res.value)).toEqual(['o5', 'o4']);
    });

    it('should reject an AST without object or from with QUERY_ERROR', async () => {
      await expect(d.executeQuery({})).rejects.toMatchObject({
        code: 'QUERY_ERROR',
        name: 'ObjectQLError',
      });
    });
  });
});
