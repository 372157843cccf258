// Dates, date-times and times through a real ObjectStack kernel: what an app seeds (Date
// objects, offsets, short times) matches equality filters and range edges in its stored
// form, in find, count and aggregate, in a tenant's scope; and a `current_user` default is
// the engine's to resolve, never the literal token.

import { kernelNodes, useKernels } from './support/kernel';

const EVENT = {
  name: 'event',
  fields: {
    title: { type: 'text' },
    day: { type: 'date' },
    at: { type: 'datetime' },
    opens: { type: 'time' },
    owner: { type: 'text', defaultValue: 'current_user' },
  },
};

const date = (iso: string) => ({ $date: iso });

const ROWS = [
  { title: 'a', day: date('2026-09-05T00:00:00.000Z'), at: date('2026-09-05T10:00:00.000Z'), opens: '14:30' },
  { title: 'b', day: '2026-09-05', at: '2026-09-05T23:30:00-01:00', opens: '14:30:00' },
  { title: 'c', day: '2026-09-04', at: '2026-09-05T23:59:59.999Z', opens: date('1970-01-01T09:00:00.500Z') },
  { title: 'd', day: '2026-09-06', at: '2026-09-06T00:00:00.000Z', opens: '18:00' },
];

type Row = Record<string, unknown>;
const titles = (rows: Row[]) => rows.map((r) => r.title).sort();

describe.each(kernelNodes())('given a kernel on $label, dates seeded by an app', ({ path: node }) => {
  const kernels = useKernels();

  it('match equality filters and range edges in every method', async () => {
    const k = await kernels.start({ objects: [EVENT], node });
    const a = k.as({ tenantId: 'A' });
    for (const row of ROWS) await a.insert('event', row);
    const cases: Array<[Row, string[]]> = [
      [{ day: '2026-09-05' }, ['a', 'b']],
      [{ day: date('2026-09-05T00:00:00.000Z') }, ['a', 'b']],
      [{ day: { $gte: '2026-09-05' } }, ['a', 'b', 'd']],
      [{ at: date('2026-09-05T10:00:00.000Z') }, ['a']],
      [{ at: '2026-09-05T12:00:00+02:00' }, ['a']],
      [{ at: { $lte: '2026-09-05' } }, ['a', 'c']],
      [{ at: { $gte: '2026-09-06' } }, ['b', 'd']],
      [{ opens: '14:30:00' }, ['a', 'b']],
      [{ opens: { $lt: '14:30' } }, ['c']],
    ];
    for (const [where, expected] of cases) {
      expect({ where, rows: titles(await a.find('event', { where })) }).toEqual({ where, rows: expected });
      expect({ where, count: await a.count('event', { where }) }).toEqual({ where, count: expected.length });
    }
    const byDay = await a.aggregate('event', {
      groupBy: ['day'],
      aggregations: [{ function: 'count', alias: 'n' }],
    });
    expect(Object.fromEntries(byDay.map((r: Row) => [r.day, r.n]))).toEqual({
      '2026-09-04': 1,
      '2026-09-05': 2,
      '2026-09-06': 1,
    });
    // Read back in the stored forms.
    const [row] = await a.find('event', { where: { title: 'b' } });
    expect(row).toMatchObject({ day: '2026-09-05', at: '2026-09-06T00:30:00.000Z', opens: '14:30:00' });
  });

  it('leave a current_user default to the engine: unset without a user, the user with one', async () => {
    const k = await kernels.start({ objects: [EVENT], node });
    const seeded = await k.ql.insert('event', { title: 'seed' });
    expect(seeded.owner ?? null).toBeNull();
    const mine = await k.as({ tenantId: 'A', userId: 'u-1' }).insert('event', { title: 'mine' });
    expect(mine.owner).toBe('u-1');
    const stored = await k.driver('execute', `SELECT title, owner FROM event ORDER BY title`);
    expect(stored).toEqual([
      { title: 'mine', owner: 'u-1' },
      { title: 'seed', owner: null },
    ]);
  });
});
