// Rows cross from Rust in chunks of whole rows (`src/convert.rs`, `lib/rows.js`); results
// larger than one chunk, wide rows and repeated values must come back whole and in order.

import { useSandbox } from './util';

describe('given results larger than one chunk of cells', () => {
  const sandbox = useSandbox();

  it('should return every row, in order, with repeated and distinct values intact', async () => {
    const d = sandbox.driver({ url: ':memory:', contract: 'objectstack' });
    await d.init([
      {
        name: 'row',
        fields: {
          n: { type: 'number' },
          label: { type: 'text' },
          tag: { type: 'text' },
          meta: { type: 'json' },
        },
      },
    ]);
    const records = Array.from({ length: 1500 }, (_, i) => ({
      id: `r${String(i).padStart(5, '0')}`,
      n: i,
      label: `label ${i}`,
      tag: i % 7 === 0 ? 'seventh' : 'other',
      meta: { i, odd: i % 2 === 1 },
    }));
    await d.bulkCreate('row', records);
    const rows = await d.find('row', { orderBy: [{ field: 'n', order: 'asc' }] });
    expect(rows).toHaveLength(1500);
    rows.forEach((row, i) => {
      expect(row).toMatchObject(records[i]);
    });
    // Non-ASCII text takes the UTF-8 path; the ASCII neighbours the Latin-1 one.
    await d.create('row', { id: 'zz', n: 9999, label: 'café ☕ 𝄞', tag: 'other' });
    expect((await d.findOne('row', 'zz'))?.label).toBe('café ☕ 𝄞');
  });

  it('should return a row wider than a chunk', async () => {
    const d = sandbox.driver({ url: ':memory:' });
    const fields: Record<string, { type: string }> = {};
    for (let i = 0; i < 1990; i++) fields[`c${i}`] = { type: 'integer' };
    await d.init([{ name: 'wide', fields }]);
    const record: Record<string, number> = {};
    for (let i = 0; i < 1990; i++) record[`c${i}`] = i;
    await d.bulkCreate('wide', [
      { id: 'a', ...record },
      { id: 'b', ...record, c1989: -1 },
      { id: 'c', ...record },
    ]);
    const rows = await d.find('wide', { orderBy: [{ field: 'id', order: 'asc' }] });
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(rows[1].c1989).toBe(-1);
    expect(rows[2].c1988).toBe(1988);
  });
});
