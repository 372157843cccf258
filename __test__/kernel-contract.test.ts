// What the ObjectStack engine leaves to its driver besides tenancy, through a real kernel:
// unique fields (per tenant, added when they appear), one filter meaning for count and
// writes, one order for pages, objects without system fields, every field kind, a boot
// that skips schema sync, and autonumbers (per tenant, across processes). Scenarios also
// run on the kernel's own TypeScript driver (Node 20), whose answers must be the same.

import { Kernel, KernelSetup, kernelNodes, useKernels } from './support/kernel';

type Row = Record<string, unknown>;

const CONTACT = {
  name: 'contact',
  fields: {
    name: { type: 'text' },
    email: { type: 'text', unique: true },
    code: { type: 'text', unique: 'global' },
  },
};

/** `code/status` of a rejection, or 'ok'. */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: { code?: string; status?: number }) => `${e.code}/${e.status}`,
  );

async function uniqueness(k: Kernel) {
  const a = k.as({ tenantId: 'A' });
  const b = k.as({ tenantId: 'B' });
  return {
    first: await outcome(a.insert('contact', { email: 'x@a', code: '1' })),
    sameTenant: await outcome(a.insert('contact', { email: 'x@a', code: '2' })),
    otherTenant: await outcome(b.insert('contact', { email: 'x@a', code: '3' })),
    globalCode: await outcome(b.insert('contact', { email: 'y@b', code: '1' })),
    shared: await outcome(k.ql.insert('contact', { email: 's@s', code: '4' })),
    sharedAgain: await outcome(k.ql.insert('contact', { email: 's@s', code: '5' })),
    updateIntoDuplicate: await outcome(
      (async () => {
        const row = await a.insert('contact', { email: 'z@a', code: '6' });
        await a.update('contact', { email: 'x@a' }, { where: { id: row.id } });
      })(),
    ),
  };
}

const ITEM = {
  name: 'item',
  fields: { s: { type: 'text' }, n: { type: 'number' }, rank: { type: 'number' } },
};

const ITEMS: Row[] = [
  { s: 'x', n: 1, rank: 3 },
  { s: null, n: 1, rank: 3 },
  { s: 'y', n: null, rank: 1 },
  { s: 'x', n: 2, rank: 3 },
  { s: null, n: 2, rank: 1 },
  { s: 'z', n: null, rank: 2 },
];

const FILTERS: Row[] = [
  { s: { $ne: 'x' } },
  { s: { $ne: null } },
  { s: { $nin: ['x', 'y'] } },
  { s: { $nin: [] } },
  { $or: [{ s: { $in: ['x'] } }, { s: { $null: true } }] },
  { $not: { s: 'x' } },
  { $not: { n: { $gt: 1 } } },
  { n: { $ne: 1 }, s: { $ne: 'y' } },
  { $or: [{ s: 'y' }, { n: { $ne: 1 } }] },
  { $or: [] },
  { s: null },
  { n: { $exists: false } },
];

async function filtersAndPages(k: Kernel) {
  const ids: string[] = [];
  for (const item of ITEMS) ids.push((await k.ql.insert('item', item)).id);
  const counts: Array<[number, number]> = [];
  for (const where of FILTERS) {
    counts.push([(await k.ql.find('item', { where })).length, await k.ql.count('item', { where })]);
  }
  // Writes with the same filter touch exactly the rows find returns.
  const where = { s: { $ne: 'x' } };
  const found = (await k.ql.find('item', { where })).length;
  const updated = await k.ql.update('item', { rank: 9 }, { where, multi: true });
  const pages: Row = {};
  for (const order of ['asc', 'desc']) {
    const orderBy = [{ field: 'rank', order }];
    const whole = (await k.ql.find('item', { orderBy })).map((r: Row) => r.id);
    const walked: unknown[] = [];
    for (let offset = 0; offset < ITEMS.length; offset += 4) {
      const page = await k.ql.find('item', { orderBy, limit: 4, offset });
      walked.push(...page.map((r: Row) => r.id));
    }
    pages[order] = { same: JSON.stringify(walked) === JSON.stringify(whole), size: walked.length };
  }
  const deleted = await k.ql.delete('item', { where: { s: { $nin: ['y', 'z'] } }, multi: true });
  return { counts, found, updated, pages, deleted, left: await k.ql.count('item', {}) };
}

/** Every field type of the spec, with a value an app would write. */
const KINDS = {
  name: 'kinds',
  fields: {
    text: { type: 'text' },
    textarea: { type: 'textarea' },
    email: { type: 'email' },
    url: { type: 'url' },
    phone: { type: 'phone' },
    markdown: { type: 'markdown' },
    html: { type: 'html' },
    richtext: { type: 'richtext' },
    code: { type: 'code' },
    color: { type: 'color' },
    number: { type: 'number' },
    currency: { type: 'currency' },
    percent: { type: 'percent' },
    rating: { type: 'rating' },
    slider: { type: 'slider' },
    progress: { type: 'progress' },
    date: { type: 'date' },
    datetime: { type: 'datetime' },
    time: { type: 'time' },
    boolean: { type: 'boolean' },
    toggle: { type: 'toggle' },
    select: { type: 'select', options: [{ label: 'A', value: 'a' }] },
    multiselect: {
      type: 'multiselect',
      options: [
        { label: 'A', value: 'a' },
        { label: 'B', value: 'b' },
      ],
    },
    radio: { type: 'radio', options: [{ label: 'A', value: 'a' }] },
    checkboxes: {
      type: 'checkboxes',
      options: [
        { label: 'A', value: 'a' },
        { label: 'B', value: 'b' },
      ],
    },
    tags: { type: 'tags' },
    json: { type: 'json' },
    location: { type: 'location' },
    address: { type: 'address' },
    composite: { type: 'composite' },
    vector: { type: 'vector' },
    file: { type: 'file' },
    image: { type: 'image' },
  },
};

const KIND_VALUES: Row = {
  text: 'hello',
  textarea: 'two\nlines',
  email: 'a@b.co',
  url: 'https://example.com/x',
  phone: '+1 555 0100',
  markdown: '# title',
  html: '<p>x</p>',
  richtext: '<b>x</b>',
  code: 'let x = 1;',
  color: '#ff0000',
  number: 42,
  currency: 19.99,
  percent: 0.25,
  rating: 4,
  slider: 30,
  progress: 55,
  date: '2026-03-07',
  datetime: '2026-03-07T10:30:00.000Z',
  time: '14:30:00',
  boolean: true,
  toggle: false,
  select: 'a',
  multiselect: ['a', 'b'],
  radio: 'a',
  checkboxes: ['b'],
  tags: ['red', 'blue'],
  json: { nested: { list: [1, 'two', null] } },
  location: { lat: 48.8566, lng: 2.3522 },
  address: { street: '1 Main St', city: 'Springfield', country: 'US' },
  composite: { a: 1, b: 'two' },
  vector: [0.25, -1.5, 3],
  file: { url: 'https://cdn.example.com/a.pdf', name: 'a.pdf', size: 1024 },
  image: { url: 'https://cdn.example.com/a.png', name: 'a.png' },
};

async function kindsRoundTrip(k: Kernel) {
  const row = await k.ql.insert('kinds', KIND_VALUES);
  const found = await k.ql.findOne('kinds', { where: { id: row.id } });
  const values = (r: Row) => Object.fromEntries(Object.keys(KIND_VALUES).map((f) => [f, r?.[f]]));
  return { inserted: values(row), found: values(found) };
}

const NO_SYSTEM_FIELDS = {
  name: 'plain_log',
  systemFields: false,
  fields: { message: { type: 'text' }, level: { type: 'number' } },
};

async function withoutSystemFields(k: Kernel) {
  const row = await k.ql.insert('plain_log', { message: 'hi', level: 1 });
  const updated = await k.ql.update('plain_log', { level: 2 }, { where: { id: row.id } });
  const found = await k.ql.find('plain_log', { where: { level: 2 } });
  return {
    inserted: { message: row.message, level: row.level },
    updated: updated?.level,
    found: found.map((r: Row) => r.message),
  };
}

const TICKET = {
  name: 'ticket',
  fields: {
    no: { type: 'autonumber', autonumberFormat: 'T-{000}' },
    title: { type: 'text' },
  },
};

describe.each(kernelNodes())('given a kernel app ($label)', ({ path: node }) => {
  const kernels = useKernels();
  const start = (setup: Omit<KernelSetup, 'node'>) => kernels.start({ ...setup, node });

  it('should refuse duplicates of a unique field within a tenant, as the engine 409', async () => {
    expect(await uniqueness(await start({ objects: [CONTACT] }))).toEqual({
      first: 'ok',
      sameTenant: 'DUPLICATE_RECORD/409',
      otherTenant: 'ok',
      globalCode: 'DUPLICATE_RECORD/409',
      shared: 'ok',
      sharedAgain: 'DUPLICATE_RECORD/409',
      updateIntoDuplicate: 'DUPLICATE_RECORD/409',
    });
  });

  it('should add the index of a field that becomes unique, and keep it when the field stops being unique', async () => {
    const url = `file:${kernels.dir()}/migrate.db`;
    const plain = { ...CONTACT, fields: { ...CONTACT.fields, email: { type: 'text' } } };
    let k = await start({ objects: [plain], url });
    const a = () => k.as({ tenantId: 'A' });
    expect(await outcome(a().insert('contact', { email: 'x@a', code: '1' }))).toBe('ok');
    expect(await outcome(a().insert('contact', { email: 'y@a', code: '2' }))).toBe('ok');
    await k.close();
    k = await start({ objects: [CONTACT], url });
    expect(await outcome(a().insert('contact', { email: 'x@a', code: '3' }))).toBe('DUPLICATE_RECORD/409');
    await k.close();
    // Sync only adds: the constraint stays until it is dropped deliberately (and is reported
    // as schema drift, see core/tests/schema_drift.rs).
    k = await start({ objects: [plain], url });
    expect(await outcome(a().insert('contact', { email: 'x@a', code: '4' }))).toBe('DUPLICATE_RECORD/409');
  });

  it('should count and write with the filters of find, and page in the order of the whole read', async () => {
    const out = await filtersAndPages(await start({ objects: [ITEM] }));
    for (const [found, counted] of out.counts) expect(counted).toBe(found);
    expect(out.counts.map(([n]) => n)).toEqual([4, 4, 3, 6, 4, 4, 4, 3, 4, 0, 2, 2]);
    expect(out.updated).toBe(out.found);
    expect(out.pages).toEqual({ asc: { same: true, size: 6 }, desc: { same: true, size: 6 } });
    expect(out.deleted).toBe(4);
    expect(out.left).toBe(2);
  });

  it('should store objects without system fields', async () => {
    expect(await withoutSystemFields(await start({ objects: [NO_SYSTEM_FIELDS] }))).toEqual({
      inserted: { message: 'hi', level: 1 },
      updated: 2,
      found: ['hi'],
    });
  });

  it('should read back every field kind as written, also after a boot that skips schema sync', async () => {
    const url = `file:${kernels.dir()}/kinds.db`;
    let k = await start({ objects: [KINDS], url });
    const first = await kindsRoundTrip(k);
    expect(first.inserted).toEqual(KIND_VALUES);
    expect(first.found).toEqual(KIND_VALUES);
    await k.close();
    k = await start({ objects: [KINDS], url, objectql: { skipSchemaSync: true } });
    const again = await kindsRoundTrip(k);
    expect(again.found).toEqual(KIND_VALUES);
  });

  it('should number autonumbers per tenant, persistently, and never twice across processes', async () => {
    const url = `file:${kernels.dir()}/tickets.db`;
    const one = await start({ objects: [TICKET], url });
    const no = async (k: Kernel, tenant: string) =>
      (await k.as({ tenantId: tenant }).insert('ticket', { title: 'x' })).no;
    expect([await no(one, 'A'), await no(one, 'A'), await no(one, 'B')]).toEqual(['T-001', 'T-002', 'T-001']);
    // A second process on the same file: both number at once.
    const two = await start({ objects: [TICKET], url });
    const both = await Promise.all(Array.from({ length: 40 }, (_, i) => no(i % 2 ? one : two, 'A')));
    expect(new Set(both).size).toBe(40);
    expect([...both].sort()).toEqual(
      Array.from({ length: 40 }, (_, i) => `T-${String(i + 3).padStart(3, '0')}`),
    );
  });
});

describe('given the kernel TypeScript Turso driver as the reference (node 20)', () => {
  const kernels = useKernels();

  it('should answer these scenarios exactly as this driver does', async () => {
    const scenarios: Array<[(k: Kernel) => Promise<unknown>, object[]]> = [
      [uniqueness, [CONTACT]],
      [filtersAndPages, [ITEM]],
      [kindsRoundTrip, [KINDS]],
      [withoutSystemFields, [NO_SYSTEM_FIELDS]],
    ];
    for (const [scenario, objects] of scenarios) {
      const dir = kernels.dir();
      const native = await kernels.start({ objects, url: `file:${dir}/n-${scenario.name}.db` });
      const reference = await kernels.start({
        objects,
        driver: 'reference',
        url: `file:${dir}/r-${scenario.name}.db`,
      });
      expect([scenario.name, await scenario(native)]).toEqual([scenario.name, await scenario(reference)]);
    }
    // Eight kernel boots in one test: a loaded machine takes longer than the default.
  }, 90_000);
});
