// Filters the kernel contract refuses instead of answering wrongly, and who gets to read
// the refusal: the driver alone (every method that takes a filter, the provenance marks
// of @objectstack/spec, the logger), then through a real ObjectStack kernel.

import { ObjectQLError, type TursoDriver } from '..';
import { kernelNodes, useKernels } from './support/kernel';
import { useSandbox } from './util';

type Row = Record<string, unknown>;
// Filters here are malformed on purpose: typed loosely.
type Where = any; // eslint-disable-line @typescript-eslint/no-explicit-any

// The marks the kernel's merge boundaries set (the spec's own function, not a copy).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { markFilterSubtreeProvenance } = require('@objectstack/spec/data') as {
  markFilterSubtreeProvenance: <T>(subtree: T, provenance: 'author' | 'policy') => T;
};

const DOC = {
  name: 'doc',
  fields: {
    title: { type: 'text' },
    tags: { type: 'tags' },
    owners: { type: 'lookup', multiple: true },
    place: { type: 'address' },
    n: { type: 'number' },
  },
};

const ROWS: Row[] = [
  { id: 'd1', title: 'Alpha', tags: ['alpha', 'beta'], owners: ['u1'], n: 1 },
  { id: 'd2', title: 'ALPHA two', tags: ['beta'], owners: ['u2'], n: 2 },
  { id: 'd3', title: null, tags: null, owners: null, n: null },
];

const author = <T extends object>(where: T): T => markFilterSubtreeProvenance(where, 'author');
const policy = <T extends object>(where: T): T => markFilterSubtreeProvenance(where, 'policy');

/** The rejection of `p`, which must reject. */
async function refusal(p: Promise<unknown>): Promise<ObjectQLError & { status?: number }> {
  const outcome = await p.then(
    (value) => ({ resolved: value }),
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(ObjectQLError);
  return outcome as ObjectQLError & { status?: number };
}

describe('given the kernel contract', () => {
  const sandbox = useSandbox();
  let d: TursoDriver;
  let logged: string[];

  beforeEach(async () => {
    logged = [];
    d = sandbox.driver({
      url: sandbox.fileUrl(),
      contract: 'objectstack',
      logger: { warn: (m: string) => logged.push(m) },
    });
    await d.syncSchema('doc', DOC);
    for (const row of ROWS) await d.create('doc', row);
  });

  const ids = async (where: Where): Promise<string[]> =>
    ((await d.find('doc', { where })) as Row[]).map((r) => String(r.id)).sort();

  describe('given a scalar comparison on a field stored as JSON', () => {
    const faces: Array<[string, (where: Where) => Promise<unknown>]> = [
      ['find', (where) => d.find('doc', { where })],
      ['findOne', (where) => d.findOne('doc', { where } as Where)],
      ['count', (where) => d.count('doc', { where })],
      [
        'aggregate',
        (where) => d.aggregate('doc', { where, aggregations: [{ function: 'count', alias: 'n' }] } as Where),
      ],
      ['distinct', (where) => d.distinct('doc', 'title', where)],
      ['updateMany', (where) => d.updateMany('doc', { where }, { title: 'changed' })],
      ['deleteMany', (where) => d.deleteMany('doc', { where })],
    ];

    it.each(faces)('should refuse it in %s, and change nothing', async (_face, run) => {
      for (const where of [{ tags: { $nin: ['alpha'] } }, { tags: 'alpha' }, { owners: { $in: ['u1'] } }]) {
        const err = await refusal(run(author(where)));
        expect(err).toMatchObject({ code: 'INVALID_FILTER', status: 400 });
        expect(err.message).toContain('WAS NOT APPLIED');
        expect(err.message).toContain('$contains');
      }
      expect(await ids({})).toEqual(['d1', 'd2', 'd3']);
      expect(((await d.findOne('doc', 'd1')) as Row).title).toBe('Alpha');
    });

    it('should refuse every comparison operator, on lists and structures alike', async () => {
      for (const op of ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$between']) {
        const comparand = ['$in', '$nin', '$between'].includes(op) ? ['a', 'b'] : 'a';
        for (const field of ['tags', 'owners', 'place']) {
          const err = await refusal(d.find('doc', { where: author({ [field]: { [op]: comparand } }) }));
          expect(err.message).toContain(`Operator "${op}" on field "${field}"`);
        }
      }
    });

    it('should keep answering $contains, the text operators and the null tests', async () => {
      expect(await ids({ tags: { $contains: 'alpha' } })).toEqual(['d1']);
      expect(await ids({ tags: { $notContains: 'alpha' } })).toEqual(['d2', 'd3']);
      expect(await ids({ tags: { $null: true } })).toEqual(['d3']);
      expect(await ids({ owners: { $exists: true } })).toEqual(['d1', 'd2']);
    });
  });

  describe('given refusals whose text names the fields of a subtree', () => {
    const bad = () => ({ tags: { $in: ['alpha'] } });

    it('should name them to the subtree marked as the caller own, and log nothing', async () => {
      const err = await refusal(d.find('doc', { where: author(bad()) }));
      expect(err.message).toContain('"tags"');
      expect(logged).toEqual([]);
    });

    it('should withhold them from an unmarked or policy subtree, and log the full text', async () => {
      const unmarked = await refusal(d.find('doc', { where: bad() }));
      const marked = await refusal(d.find('doc', { where: policy(bad()) }));
      expect(unmarked.message).toBe(marked.message);
      expect(unmarked.message).not.toContain('tags');
      expect(unmarked.message).toContain('{ "FIELD": { "$contains": "a" } }');
      expect(logged).toHaveLength(2);
      expect(logged[0]).toContain('Operator "$in" on field "tags"');
    });

    it('should resolve the refused arm of a merged $and, not the root', async () => {
      const disclosed = await refusal(
        d.count('doc', { where: { $and: [policy({ title: 'Alpha' }), author(bad())] } }),
      );
      expect(disclosed.message).toContain('"tags"');
      const withheld = await refusal(
        d.count('doc', { where: { $and: [author({ title: 'Alpha' }), policy(bad())] } }),
      );
      expect(withheld.message).not.toContain('tags');
    });

    it('should withhold when the innermost mark is policy, the subtree is shared by both, or a copy lost the mark', async () => {
      const inner = author({ $and: [{ title: 'x' }, policy({ n: {} })] });
      const shared = { n: { $between: [1] } };
      const aliased = { $or: [author({ $and: [shared] }), policy({ $and: [shared] })] };
      const copied = JSON.parse(JSON.stringify(author(bad())));
      for (const where of [inner, aliased, copied]) {
        const err = await refusal(d.find('doc', { where }));
        expect(err.code).toBe('INVALID_FILTER');
        expect(err.message).not.toMatch(/"(n|tags)"/);
      }
    });

    it('should name a primitive comparand through the object holding it', async () => {
      const err = await refusal(d.deleteMany('doc', { where: author({ $or: [{ n: { $between: 5 } }] }) }));
      expect(err.message).toContain('Operator "$between" on field "n"');
    });

    it('should survive a logger that throws', async () => {
      d.logger = {
        warn: () => {
          throw new Error('sink down');
        },
      };
      await expect(d.find('doc', { where: bad() })).rejects.toMatchObject({ code: 'INVALID_FILTER' });
    });
  });

  describe('given values a filter cannot mean anything by', () => {
    it('should refuse undefined where a comparand goes, naming the path', async () => {
      for (const [where, path] of [
        [{ title: undefined }, 'filter.title'],
        [{ $or: [{}, { n: { $gt: undefined } }] }, 'filter.$or[1].n.$gt'],
        [{ n: { $in: [1, undefined] } }, 'filter.n.$in[1]'],
        [{ $not: { title: { $ne: undefined } } }, 'filter.$not.title.$ne'],
      ] as Array<[Where, string]>) {
        const err = await refusal(d.find('doc', { where }));
        expect(err.message).toMatch(/^Comparand at /);
        expect(err.message).toContain(`${path} is undefined`);
      }
      // An absent filter is still no filter.
      expect(await ids(undefined)).toEqual(['d1', 'd2', 'd3']);
    });

    it('should refuse a class instance as a filter node or a comparand', async () => {
      class Scope {
        title = 'Alpha';
      }
      const node = await refusal(d.find('doc', { where: { $or: [new Scope()] } }));
      expect(node.message).toContain('filter.$or[0] is a Scope');
      const comparand = await refusal(d.find('doc', { where: author({ n: { $eq: new Map() } }) }));
      expect(comparand.message).toContain('cannot be bound as a SQL parameter');
      // A Date is a comparand, as ever.
      expect(await ids({ title: { $ne: new Date(0) } })).toEqual(['d1', 'd2', 'd3']);
    });

    it('should refuse shapes wherever they sit, whatever their siblings settle', async () => {
      for (const [where, fragment] of [
        [{ $or: [{}, { $where: 'x' }] }, '"$where" at filter.$or[1].$where'],
        [{ $or: [{ title: 'Alpha' }, { n: {} }] }, 'zero operators'],
        [{ n: { $null: 'false' } }, 'requires a boolean comparand'],
        [{ title: { $icontains: '' } }, 'non-empty string'],
        [{ title: { $like: 'a\\' } }, 'lone backslash'],
        [['title', '=', 'Alpha'], 'A filter ARRAY reached the driver'],
        [{ title: { $in: ['a', { x: 1 }] } }, 'index 1'],
        [{ title: { $contains: ['a'] } }, 'an array'],
      ] as Array<[Where, string]>) {
        const err = await refusal(d.find('doc', { where }));
        expect(err).toMatchObject({ code: 'INVALID_FILTER', status: 400 });
        expect(err.message).toContain(fragment);
      }
    });
  });

  describe('given patterns and text comparands', () => {
    it('should match $like case-exactly and $ilike folding ASCII case', async () => {
      expect(await ids({ title: { $like: 'Alpha%' } })).toEqual(['d1']);
      expect(await ids({ title: { $ilike: 'alpha%' } })).toEqual(['d1', 'd2']);
      expect(await ids({ title: { $like: 'A_pha' } })).toEqual(['d1']);
      expect(await ids({ $not: { title: { $like: 'Alpha' } } })).toEqual(['d2', 'd3']);
    });

    it('should read a primitive text comparand as its text', async () => {
      await d.create('doc', { id: 'd4', title: 'item 5 of true' });
      expect(await ids({ title: { $contains: 5 } })).toEqual(['d4']);
      expect(await ids({ title: { $contains: true } })).toEqual(['d4']);
    });
  });

  describe('given a query the table cannot fully answer', () => {
    it('should drop a sort key the table lacks, and refuse a filter on one', async () => {
      const rows = (await d.find('doc', { orderBy: [{ field: 'nosuch', order: 'asc' }] })) as Row[];
      expect(rows.map((r) => r.id)).toEqual(['d1', 'd2', 'd3']);
      const err = await refusal(d.find('doc', { where: { nosuch: 1 } }));
      expect(err).toMatchObject({ code: 'INVALID_FILTER', status: 400 });
      expect(err.message).toContain("'nosuch'");
    });

    it('should read only the kernel query keys', async () => {
      const rows = (await d.find('doc', {
        filters: { title: 'Alpha' },
        sort: [['n', 'desc']],
        skip: 2,
        top: 1,
      })) as Row[];
      expect(rows).toHaveLength(3);
    });

    it('should keep the refused statement as a non-enumerable cause, and log it', async () => {
      const err = await refusal(d.find('never_made', {}));
      expect(err).toMatchObject({ code: 'DATABASE_ERROR', status: 500 });
      expect(Object.keys(err)).toEqual(['code', 'status']);
      expect(String((err as { cause?: Error }).cause?.message)).toContain('no such table');
      expect(logged.join('\n')).toContain('DATABASE_ERROR');
    });
  });
});

describe('given the 4.2.2 contract', () => {
  const sandbox = useSandbox();

  it('should answer the same filters as it always did', async () => {
    const d = sandbox.driver({ url: sandbox.fileUrl() });
    await d.init([DOC]);
    for (const row of ROWS) await d.create('doc', row);
    const ids = async (where: Where) =>
      ((await d.find('doc', { where })) as Row[]).map((r) => String(r.id)).sort();
    expect(await ids({ title: undefined })).toEqual(['d3']);
    expect(await ids({ n: { $in: [1] }, tags: { $ne: 'x' } })).toEqual(['d1']);
    expect(await ids(['title', '=', 'Alpha'])).toEqual(['d1']);
    expect(await ids({ title: { $like: 'alpha%' } })).toEqual(['d1', 'd2']);
    const rows = (await d.find('doc', { filters: { title: 'Alpha' }, sort: [['n', 'desc']] })) as Row[];
    expect(rows.map((r) => r.id)).toEqual(['d1']);
    await expect(d.find('doc', { where: { title: { $ilike: 'a%' } } })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });
});

describe.each(kernelNodes())('given a kernel app ($label)', ({ path: node }) => {
  const kernels = useKernels();

  it('should refuse a scalar operator on a tags field as the engine 400, and answer $contains', async () => {
    const k = await kernels.start({ objects: [DOC], node });
    for (const row of ROWS) await k.ql.insert('doc', row);
    const find = (where: Where) => k.ql.find('doc', { where });
    await expect(find({ tags: { $nin: ['alpha'] } })).rejects.toMatchObject({
      code: 'INVALID_FILTER',
      status: 400,
    });
    await expect(k.ql.count('doc', { where: { tags: 'alpha' } })).rejects.toMatchObject({
      code: 'INVALID_FILTER',
    });
    await expect(
      k.ql.update('doc', { title: 'x' }, { where: { owners: { $in: ['u1'] } }, multi: true }),
    ).rejects.toMatchObject({ code: 'INVALID_FILTER' });
    const found = (await find({ tags: { $contains: 'alpha' } })) as Row[];
    expect(found.map((r) => r.title)).toEqual(['Alpha']);
    expect(await k.ql.count('doc', {})).toBe(3);
  });
});
