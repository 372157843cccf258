// Cross-field comparisons (`{ amount: { $gt: { $field: 'budget' } } }`) through a real
// ObjectStack kernel: every method that takes a filter compiles them alike, with the
// kernel's two-valued answers on missing values, inside a tenant's scope; refusals are
// INVALID_FILTER (400) and name none of the fields they refuse.

import { Kernel, kernelNodes, useKernels } from './support/kernel';

const LEDGER = {
  name: 'ledger',
  fields: {
    title: { type: 'text' },
    amount: { type: 'number' },
    budget: { type: 'currency' },
    low: { type: 'text' },
    high: { type: 'text' },
    opened: { type: 'date' },
    closed: { type: 'date' },
    sent_at: { type: 'datetime' },
    seen_at: { type: 'datetime' },
    flagged: { type: 'boolean' },
    labels: { type: 'select', multiple: true },
    projected: { type: 'formula' },
  },
};

/**
 * One row per cell of a comparison's truth table, the same cell on each pair:
 * amount/budget (numbers), low/high (text), opened/closed (dates), sent_at/seen_at
 * (date-times given with offsets: stored as UTC, so `sent_at` of `gt` is the EARLIER text).
 */
const ROWS = [
  {
    title: 'gt',
    amount: 9,
    budget: 2,
    low: 'q',
    high: 'd',
    opened: '2026-05-09',
    closed: '2026-05-02',
    sent_at: '2026-05-01T09:00:00+02:00',
    seen_at: '2026-05-01T06:30:00Z',
  },
  {
    title: 'lt',
    amount: 2,
    budget: 9,
    low: 'd',
    high: 'q',
    opened: '2026-05-02',
    closed: '2026-05-09',
    sent_at: '2026-05-01T06:30:00Z',
    seen_at: '2026-05-01T09:00:00+02:00',
  },
  {
    title: 'eq',
    amount: 4,
    budget: 4,
    low: 'm',
    high: 'm',
    opened: '2026-05-04',
    closed: '2026-05-04',
    sent_at: '2026-05-01T10:00:00+02:00',
    seen_at: '2026-05-01T08:00:00.000Z',
  },
  {
    title: 'no-target',
    amount: null,
    budget: 4,
    low: null,
    high: 'm',
    opened: null,
    closed: '2026-05-04',
    sent_at: null,
    seen_at: '2026-05-01T08:00:00Z',
  },
  {
    title: 'no-referent',
    amount: 4,
    budget: null,
    low: 'm',
    high: null,
    opened: '2026-05-04',
    closed: null,
    sent_at: '2026-05-01T08:00:00Z',
    seen_at: null,
  },
  {
    title: 'neither',
    amount: null,
    budget: null,
    low: null,
    high: null,
    opened: null,
    closed: null,
    sent_at: null,
    seen_at: null,
  },
];

const PAIRS: Array<[string, string]> = [
  ['amount', 'budget'],
  ['low', 'high'],
  ['opened', 'closed'],
  ['sent_at', 'seen_at'],
];

/** Which rows each operator keeps, on every pair. */
const KEEPS: Record<string, string[]> = {
  $gt: ['gt'],
  $gte: ['eq', 'gt'],
  $lt: ['lt'],
  $lte: ['eq', 'lt'],
  $eq: ['eq', 'neither'],
  $ne: ['gt', 'lt', 'no-referent', 'no-target'],
};

const titles = (rows: Array<{ title: string }>): string[] => rows.map((r) => r.title).sort();

const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ resolved: true }) as { resolved?: boolean; code?: string; status?: number; message?: string },
    (e: { code?: string; status?: number; message?: string }) => ({
      code: e.code,
      status: e.status,
      message: e.message,
    }),
  );

describe.each(kernelNodes())('given a kernel on $label, cross-field filters', ({ path: node }) => {
  const kernels = useKernels();

  async function seeded(): Promise<Kernel> {
    const k = await kernels.start({ objects: [LEDGER], node });
    const a = k.as({ tenantId: 'A' });
    for (const row of ROWS) await a.insert('ledger', row);
    // Another tenant's row that matches everything it could: never seen by A.
    await k.as({ tenantId: 'B' }).insert('ledger', { ...ROWS[0], title: 'other-tenant' });
    return k;
  }

  it('should keep the same rows on every pair of one class, in find, count and $not', async () => {
    const k = await seeded();
    const a = k.as({ tenantId: 'A' });
    for (const [target, ref] of PAIRS) {
      for (const [op, keeps] of Object.entries(KEEPS)) {
        const where = { [target]: { [op]: { $field: ref } } };
        expect([`${target} ${op} ${ref}`, titles(await a.find('ledger', { where }))]).toEqual([
          `${target} ${op} ${ref}`,
          keeps,
        ]);
        expect(await a.count('ledger', { where })).toBe(keeps.length);
        const rest = ROWS.map((r) => r.title)
          .filter((t) => !keeps.includes(t))
          .sort();
        expect(titles(await a.find('ledger', { where: { $not: where } }))).toEqual(rest);
      }
    }
    // A field equals itself on every row, missing values included, and differs on none.
    expect(await a.count('ledger', { where: { amount: { $eq: { $field: 'amount' } } } })).toBe(6);
    expect(await a.count('ledger', { where: { amount: { $ne: { $field: 'amount' } } } })).toBe(0);
    // Combined with literals and combinators.
    const where = {
      $or: [
        { amount: { $gt: { $field: 'budget' } }, low: 'q' },
        { opened: { $eq: { $field: 'closed' } }, title: 'eq' },
      ],
    };
    expect(titles(await a.find('ledger', { where }))).toEqual(['eq', 'gt']);
  });

  it('should compile them in aggregate, update and delete too', async () => {
    const k = await seeded();
    const a = k.as({ tenantId: 'A' });
    const [sum] = await a.aggregate('ledger', {
      where: { amount: { $gte: { $field: 'budget' } } },
      aggregations: [{ function: 'sum', field: 'amount', alias: 'total' }],
    });
    expect(sum.total).toBe(13);
    expect(
      await a.update(
        'ledger',
        { flagged: true },
        { where: { budget: { $gt: { $field: 'amount' } } }, multi: true },
      ),
    ).toBeDefined();
    expect(titles(await a.find('ledger', { where: { flagged: true } }))).toEqual(['lt']);
    await a.delete('ledger', { where: { low: { $eq: { $field: 'high' } } }, multi: true });
    expect(titles(await a.find('ledger', {}))).toEqual(['gt', 'lt', 'no-referent', 'no-target']);
    // The other tenant's row was in none of A's scopes.
    expect(titles(await k.as({ tenantId: 'B' }).find('ledger', {}))).toEqual(['other-tenant']);
  });

  it('should refuse what does not compile, naming no field', async () => {
    const k = await seeded();
    const a = k.as({ tenantId: 'A' });
    const refused = [
      { amount: { $gt: { $field: 'organization_id' } } },
      { organization_id: { $eq: { $field: 'low' } } },
      { amount: { $gt: { $field: 'labels' } } },
      { amount: { $gt: { $field: 'projected' } } },
      { amount: { $gt: { $field: 'low' } } },
      { opened: { $lte: { $field: 'sent_at' } } },
      { amount: { $gt: { $field: 'missing_field' } } },
      { amount: { $gt: { $field: 'owner.budget' } } },
      { amount: { $in: [1, { $field: 'budget' }] } },
      { low: { $contains: { $field: 'high' } } },
      { amount: { $field: 'budget' } },
    ];
    for (const where of refused) {
      for (const call of [
        a.find('ledger', { where }),
        a.count('ledger', { where }),
        a.update('ledger', { flagged: true }, { where, multi: true }),
        a.delete('ledger', { where, multi: true }),
      ]) {
        const got = await failure(call);
        expect([where, got.code, got.status]).toEqual([where, 'INVALID_FILTER', 400]);
        for (const name of [
          'amount',
          'budget',
          'organization_id',
          'labels',
          'projected',
          'missing_field',
          'owner',
          'high',
        ]) {
          expect(got.message).not.toContain(name);
        }
      }
    }
    // Nothing was changed or removed by the refused writes.
    expect(await a.count('ledger', { where: { flagged: true } })).toBe(0);
    expect(await a.count('ledger', {})).toBe(6);
  });
});
