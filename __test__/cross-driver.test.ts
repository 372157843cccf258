// One SQLite file, two drivers: the kernel's own SQL driver (`@objectstack/driver-sql`,
// knex + better-sqlite3) and this one, in one process. Whichever wrote the rows, both read
// the same values and answer every filter with the same rows: a user can move to this
// driver and back. Also: a file an earlier version of this driver wrote (the caller's date
// text kept as given) answers correctly once a schema sync has canonicalised it.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { TursoDriver } from '..';
import { nanoid } from './support/reference';

type Row = Record<string, unknown>;
type Driver = {
  initObjects?(objects: unknown[]): Promise<void>;
  syncSchema?(name: string, schema: unknown): Promise<void>;
  create(object: string, data: Row): Promise<Row>;
  find(object: string, query: Row): Promise<Row[]>;
  disconnect(): Promise<void>;
};

const EVENT = {
  name: 'event',
  fields: {
    title: { type: 'text' },
    day: { type: 'date' },
    at: { type: 'datetime' },
    opens: { type: 'time' },
    done: { type: 'boolean' },
    tags: { type: 'tags' },
    amount: { type: 'currency' },
  },
};

/** The same rows, written in the forms callers use: Date objects, offsets, short times. */
const ROWS: Row[] = [
  {
    id: 'a',
    title: 'Date object',
    day: new Date('2026-09-05T00:00:00Z'),
    at: new Date('2026-09-05T10:00:00Z'),
    opens: '14:30',
    done: true,
    tags: ['alpha', 'beta'],
    amount: 12.5,
  },
  {
    id: 'b',
    title: 'offset text',
    day: '2026-09-05',
    at: '2031-03-04T07:06:07+02:00',
    opens: '14:30:00',
    done: false,
    tags: ['beta'],
    amount: 3,
  },
  {
    id: 'c',
    title: 'end of day',
    day: '2026-09-06T23:30:00.000Z',
    at: '2026-09-05T23:59:59.999Z',
    opens: '09:05:00.500',
    done: false,
    tags: [],
    amount: 0,
  },
  {
    id: 'd',
    title: 'zone-less',
    day: '2026-09-04',
    at: '2026-09-06 00:00:00',
    opens: new Date('1970-01-01T18:00:00Z'),
    done: true,
    tags: ['gamma'],
    amount: null,
  },
  { id: 'e', title: 'nulls', day: null, at: null, opens: null, done: null, tags: null, amount: null },
];

/** Filters whose answers must not depend on which driver wrote or reads the file. */
const FILTERS: Row[] = [
  { day: '2026-09-05' },
  { day: new Date('2026-09-05T00:00:00Z') },
  { day: { $gte: '2026-09-05', $lte: '2026-09-06' } },
  { day: { $in: ['2026-09-04', '2026-09-06'] } },
  { at: '2026-09-05T10:00:00.000Z' },
  { at: new Date('2026-09-05T10:00:00Z') },
  { at: '2026-09-05T12:00:00+02:00' },
  { at: { $lte: '2026-09-05' } },
  { at: { $gte: '2026-09-05', $lte: '2026-09-05' } },
  { at: { $between: ['2026-09-05', '2026-09-06'] } },
  { at: { $gt: '2031-03-04T05:00:00Z' } },
  { at: { $lt: '2026-09-06T00:00:00.000Z' } },
  { opens: '14:30:00' },
  { opens: '14:30' },
  { opens: { $gte: '09:05', $lte: '14:30' } },
  { opens: { $gt: '09:05:00' } },
  { done: true },
  { done: false },
  { done: { $ne: true } },
  { tags: { $contains: 'beta' } },
  { amount: { $gt: 2 } },
  { amount: null },
  { $or: [{ day: '2026-09-04' }, { at: { $gte: '2031-01-01' } }] },
];

const ORDERS: Row[][] = [
  [{ field: 'at', order: 'asc' }],
  [{ field: 'day', order: 'desc' }],
  [{ field: 'opens', order: 'asc' }],
];

function kernelDriver(file: string): Driver {
  // Loaded as the reference harness loads the kernel's Turso driver (see support/reference.ts:
  // nanoid is ESM-only, and its parent-dir step needs a dynamic import Jest refuses).
  jest.doMock('nanoid', () => ({ nanoid }));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SqlDriver } = require('@objectstack/driver-sql');
  const driver = new SqlDriver({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
  });
  driver.ensureDatabaseExists = async () => {};
  return driver as Driver;
}

function nativeDriver(file: string): Driver {
  return new TursoDriver({ url: `file:${file}`, contract: 'objectstack' }) as unknown as Driver;
}

async function sync(driver: Driver): Promise<void> {
  if (driver instanceof TursoDriver) await driver.syncSchema('event', EVENT);
  else await driver.initObjects!([EVENT]);
}

const ids = (rows: Row[]) => rows.map((r) => r.id).sort();

/** What a driver answers: every row as read, every filter's ids, every order's ids. */
async function answers(driver: Driver) {
  const all = await driver.find('event', { orderBy: [{ field: 'id', order: 'asc' }] });
  const filtered: Record<string, unknown> = {};
  for (const where of FILTERS) {
    filtered[describe(where)] = ids(await driver.find('event', { where }));
  }
  const ordered: Record<string, unknown> = {};
  for (const orderBy of ORDERS) {
    const rows = await driver.find('event', { orderBy: [...orderBy, { field: 'id', order: 'asc' }] });
    ordered[JSON.stringify(orderBy)] = rows.map((r) => r.id);
  }
  // The audit stamps differ by writer and instant; the values the caller wrote must not.
  const values = all.map(({ created_at: _c, updated_at: _u, ...rest }) => rest);
  return { values, filtered, ordered };
}

function describe(where: Row): string {
  return JSON.stringify(where, (_k, v) => (v instanceof Date ? `Date(${v.toISOString()})` : v));
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cross-driver-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function writeWith(make: (file: string) => Driver, file: string): Promise<void> {
  const writer = make(file);
  try {
    await sync(writer);
    for (const row of ROWS) await writer.create('event', { ...row });
  } finally {
    await writer.disconnect();
  }
}

async function readWith(make: (file: string) => Driver, file: string) {
  const reader = make(file);
  try {
    await sync(reader);
    return await answers(reader);
  } finally {
    await reader.disconnect();
  }
}

test.each([
  ['the kernel driver', kernelDriver],
  ['this driver', nativeDriver],
])('a file %s wrote answers alike through both drivers', async (_writer, make) => {
  const file = path.join(dir, 'shared.db');
  await writeWith(make, file);
  const kernel = await readWith(kernelDriver, file);
  const native = await readWith(nativeDriver, file);
  expect(native.values).toEqual(kernel.values);
  expect(native.filtered).toEqual(kernel.filtered);
  expect(native.ordered).toEqual(kernel.ordered);
});

test('both writers store the same values, read back in the stored forms', async () => {
  const byKernel = path.join(dir, 'kernel.db');
  const byNative = path.join(dir, 'native.db');
  await writeWith(kernelDriver, byKernel);
  await writeWith(nativeDriver, byNative);
  const fromKernel = await readWith(nativeDriver, byKernel);
  const fromNative = await readWith(nativeDriver, byNative);
  expect(fromNative.values).toEqual(fromKernel.values);
  // The stored forms, spelled out once so a change of rule is seen here.
  expect(fromNative.values[0]).toMatchObject({
    id: 'a',
    day: '2026-09-05',
    at: '2026-09-05T10:00:00.000Z',
    opens: '14:30:00',
    done: true,
    tags: ['alpha', 'beta'],
  });
  expect(fromNative.values[1]).toMatchObject({ at: '2031-03-04T05:06:07.000Z', opens: '14:30:00' });
  expect(fromNative.values[2]).toMatchObject({ day: '2026-09-06', opens: '09:05:00.500' });
  expect(fromNative.values[3]).toMatchObject({ at: '2026-09-06T00:00:00.000Z', opens: '18:00:00' });
  // The cases, answered by the driver that wrote them.
  expect(fromNative.filtered[describe({ day: '2026-09-05' })]).toEqual(['a', 'b']);
  expect(fromNative.filtered[describe({ opens: '14:30:00' })]).toEqual(['a', 'b']);
  expect(fromNative.filtered[describe({ at: { $lte: '2026-09-05' } })]).toEqual(['a', 'c']);
});

test('a file an earlier version wrote (dates kept as given) is canonicalised once by a schema sync', async () => {
  const file = path.join(dir, 'legacy.db');
  // What versions before this one stored: the caller's text, a Date's ISO text.
  const old = new TursoDriver({ url: `file:${file}` });
  await old.init([EVENT]);
  await old.execute(
    `INSERT INTO event (id, day, at, opens) VALUES
       ('x', '2026-09-05T00:00:00.000Z', '2031-03-04T07:06:07+02:00', '14:30'),
       ('y', '2026-09-05', '2026-09-05 10:00:00', '1970-01-01T09:00:00.000Z')`,
  );
  await old.disconnect();

  const driver = nativeDriver(file);
  try {
    await sync(driver);
    const rows = await driver.find('event', { orderBy: [{ field: 'id', order: 'asc' }] });
    expect(rows.map(({ id, day, at, opens }) => ({ id, day, at, opens }))).toEqual([
      { id: 'x', day: '2026-09-05', at: '2031-03-04T05:06:07.000Z', opens: '14:30:00' },
      { id: 'y', day: '2026-09-05', at: '2026-09-05T10:00:00.000Z', opens: '09:00:00' },
    ]);
    expect(ids(await driver.find('event', { where: { day: '2026-09-05' } }))).toEqual(['x', 'y']);
    expect(ids(await driver.find('event', { where: { opens: '14:30:00' } }))).toEqual(['x']);
    expect(ids(await driver.find('event', { where: { at: { $gte: '2031-03-04T05:06:07Z' } } }))).toEqual([
      'x',
    ]);
  } finally {
    await driver.disconnect();
  }
  // On disk too: the kernel's driver, which compares columns as stored, agrees.
  const kernel = kernelDriver(file);
  try {
    await sync(kernel);
    expect(ids(await kernel.find('event', { where: { day: '2026-09-05' } }))).toEqual(['x', 'y']);
    expect(ids(await kernel.find('event', { where: { at: { $lt: '2026-09-06' } } }))).toEqual(['y']);
  } finally {
    await kernel.disconnect();
  }
});
