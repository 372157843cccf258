import { TursoDriver } from '..';

import { useSandbox } from './util';

const TASK = {
  name: 'task',
  fields: { title: { type: 'text' }, n: { type: 'number' }, done: { type: 'boolean' } },
};

describe("given a driver serving the ObjectStack kernel (contract: 'objectstack')", () => {
  const sandbox = useSandbox();
  let d: TursoDriver;

  beforeEach(async () => {
    d = sandbox.driver({ url: sandbox.fileUrl(), contract: 'objectstack' });
    await d.syncSchemasBatch([{ object: 'task', schema: TASK }]);
  });

  it('should advertise batch schema sync and name the SQLite dialect', () => {
    expect(d.supports.batchSchemaSync).toBe(true);
    expect(d.config.client).toBe('better-sqlite3');
  });

  it('should sync one object with syncSchema(name, schema), audit columns included', async () => {
    await d.syncSchema('note', { name: 'note', fields: { body: { type: 'textarea' } } });
    const tables = (await d.introspectSchema()).tables;
    expect(tables.note.columns.map((c) => c.name)).toEqual(['id', 'created_at', 'updated_at', 'body']);
  });

  it("should read only the QueryAST's keys: the 4.2.2 filters, sort, skip and top mean nothing", async () => {
    await d.bulkCreate('task', [
      { title: 'a', n: 1 },
      { title: 'b', n: 2 },
      { title: 'c', n: 3 },
    ]);
    const titles = (rows: Array<Record<string, unknown>>) => rows.map((r) => r.title);
    expect(await d.find('task', { filters: { n: 1 }, skip: 1, top: 1 })).toHaveLength(3);
    expect(titles(await d.find('task', { where: { n: { $gt: 1 } }, filters: { n: 1 } }))).toEqual(['b', 'c']);
    expect(
      titles(await d.find('task', { orderBy: [{ field: 'n', order: 'desc' }], sort: [['n', 'asc']] })),
    ).toEqual(['c', 'b', 'a']);
    expect(await d.count('task', { filters: { n: 1 } } as never)).toBe(3);
    // The 4.2.2 API keeps its spellings.
    const legacy = sandbox.driver({ url: sandbox.fileUrl('legacy.db') });
    await legacy.init([TASK]);
    await legacy.bulkCreate('task', [
      { title: 'a', n: 1 },
      { title: 'b', n: 2 },
    ]);
    expect(await legacy.find('task', { filters: { n: 1 } })).toHaveLength(1);
  });

  it('should answer in the kernel shapes', async () => {
    const rows = (await d.bulkCreate('task', [
      { title: 'a', n: 1, done: true },
      { title: 'b', n: 2, done: false },
    ])) as unknown as Array<Record<string, unknown>>;
    expect(rows.map((r) => r.title)).toEqual(['a', 'b']);
    expect(rows[0]).toMatchObject({ n: 1, done: true });

    const byQuery = await d.findOne('task', { object: 'task', where: { n: 2 }, limit: 1 } as never);
    expect(byQuery).toMatchObject({ title: 'b' });
    expect(await d.count('task', { object: 'task', where: { done: true } } as never)).toBe(1);

    expect(await d.update('task', 'missing', { n: 9 })).toBeNull();
    expect(await d.updateMany('task', { object: 'task', where: { n: { $gte: 1 } } } as never, { n: 5 })).toBe(
      2,
    );
    expect(await d.delete('task', rows[0].id as string)).toBe(true);
    expect(await d.delete('task', rows[0].id as string)).toBe(false);
    expect(await d.deleteMany('task', { object: 'task' } as never)).toBe(1);
  });

  it('should reject a refused filter with INVALID_FILTER, and the same filter in the 4.2.2 API with INVALID_REQUEST', async () => {
    await expect(d.find('task', { where: { n: { $nope: 1 } } })).rejects.toMatchObject({
      code: 'INVALID_FILTER',
    });
    const plain = sandbox.driver({ url: sandbox.fileUrl('plain.db') });
    await plain.init([TASK]);
    await expect(plain.find('task', { where: { n: { $nope: 1 } } })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('should page deterministically by ordering on the id last', async () => {
    await d.bulkCreate(
      'task',
      ['c', 'a', 'e', 'b', 'd'].map((id) => ({ id, title: 'same', n: 1 })),
    );
    const page1 = await d.find('task', { orderBy: [{ field: 'n', order: 'asc' }], limit: 2 });
    const page2 = await d.find('task', { orderBy: [{ field: 'n', order: 'asc' }], limit: 2, offset: 2 });
    expect([...page1, ...page2].map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
  });
});
