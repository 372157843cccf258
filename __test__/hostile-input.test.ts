// Hostile input, table by table. The README's decisions are the oracle: a value comes back
// as it was written or is refused before any SQL runs; a filter never widens by accident;
// execute runs exactly one statement. A refusal must be an ObjectQLError with a string code,
// delivered as a rejected Promise (a caller that only attaches .catch() must see it), and it
// must change nothing: rows and schema are compared before and after. Every table runs under
// both contracts, since each maps errors and shapes results its own way.

import { ObjectQLError, TursoDriver, type DataRecord, type ObjectSchema, type TursoTransaction } from '..';
import { byKey, thrownBy, useSandbox } from './util';

type Contract = 'objectql' | 'objectstack';

interface Ctx {
  d: TursoDriver;
  contract: Contract;
  /** Schema sync the way each contract's caller does it. */
  sync(object: ObjectSchema): Promise<void>;
}

/** One code, or the code each contract answers with. */
type Code = string | Record<Contract, string>;

type Expect =
  | { code: Code; message?: RegExp }
  /** What `field` of record `rt` reads back as after the call wrote it. */
  | { roundTrip: unknown; field: string }
  | { result: unknown };

interface Row {
  name: string;
  /** Runs before the snapshot; what it resolves to is handed to `call`. */
  setup?: (c: Ctx) => Promise<unknown>;
  /**
   * Not `async` for refusals: an async wrapper would turn a synchronous throw of the
   * driver into a rejection and hide it.
   */
  call: (c: Ctx, prepared: unknown) => Promise<unknown>;
  expect: Expect;
  /** A row that holds under one contract only (the other is noted where it differs). */
  only?: Contract;
}

// `bin` is `binary`, not `file`: under the kernel contract files are JSON references.
const ITEM: ObjectSchema = {
  name: 'item',
  fields: {
    title: { type: 'text' },
    n: { type: 'number' },
    big: { type: 'number' },
    meta: { type: 'json' },
    data: { type: 'text' },
    bin: { type: 'binary' },
    flag: { type: 'boolean' },
    at: { type: 'datetime' },
  },
};

const SEED: DataRecord[] = [
  {
    id: 'a',
    title: 'Alpha',
    n: 1,
    big: 10,
    meta: { k: 1 },
    data: 'one',
    bin: Buffer.from([1, 0, 2]),
    flag: true,
    at: new Date('2020-01-01T00:00:00.000Z'),
  },
  { id: 'b', title: 'Beta', n: 2, big: 20, meta: [1, 2], data: 'two', flag: false },
  { id: 'c', title: null, n: null },
];

const INVALID = 'INVALID_REQUEST';
/** A filter the driver cannot read as one. */
const FILTER: Code = { objectql: INVALID, objectstack: 'INVALID_FILTER' };
/** A column the table lacks, named in a filter, projection or sort. */
const MISSING: Code = { objectql: 'QUERY_ERROR', objectstack: 'INVALID_FILTER' };
/** A statement the database refused. */
const STATEMENT: Code = { objectql: 'QUERY_ERROR', objectstack: 'DATABASE_ERROR' };

const rowsOf = (result: unknown): DataRecord[] =>
  Array.isArray(result) ? result : (result as { rows: DataRecord[] }).rows;
const affected = (result: unknown): number =>
  typeof result === 'number' ? result : (result as { affected: number }).affected;
const ids = async (d: TursoDriver): Promise<unknown[]> => byKey(await d.find('item', {})).map((r) => r.id);
const titles = async (d: TursoDriver): Promise<unknown[]> =>
  byKey(await d.find('item', {})).map((r) => r.title);

/** Everything a refused call must leave alone: the rows and the schema. */
async function snapshot(d: TursoDriver): Promise<unknown> {
  return {
    rows: byKey(await d.find('item', {})),
    schema: rowsOf(await d.execute('SELECT type, name, sql FROM sqlite_master ORDER BY name')),
  };
}

function cyclic(): Record<string, unknown> {
  const o: Record<string, unknown> = { k: 1 };
  o.self = o;
  return o;
}

/** A record (or filter) whose `key` throws when read. */
function throwingGetter(key: string, base: DataRecord = {}): DataRecord {
  const o = { ...base };
  Object.defineProperty(o, key, {
    enumerable: true,
    get() {
      throw new Error('getter exploded');
    },
  });
  return o;
}

const unlistable = (): DataRecord =>
  new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('ownKeys exploded');
      },
    },
  );

// Lazily mapped zero pages: no gigabyte is touched, as the length check in a record comes
// first. Filters and execute parameters are checked only after the bytes are copied (~3 GB
// resident for a while), so they are left out here.
const overLimit = (): Uint8Array => new Uint8Array(1_000_000_001);

type Via = 'create' | 'update' | 'upsert' | 'bulkCreate' | 'updateMany';

/** Writes `{ [field]: value }` into record `rt` through `via`. */
function write(via: Via, field: string, value: unknown) {
  return async ({ d }: Ctx): Promise<unknown> => {
    switch (via) {
      case 'create':
        return d.create('item', { id: 'rt', [field]: value });
      case 'upsert':
        return d.upsert('item', { id: 'rt', [field]: value });
      case 'bulkCreate':
        return d.bulkCreate('item', [{ id: 'rt0' }, { id: 'rt', [field]: value }]);
      case 'update':
        await d.create('item', { id: 'rt' });
        return d.update('item', 'rt', { [field]: value });
      case 'updateMany':
        await d.create('item', { id: 'rt' });
        return d.updateMany('item', { id: 'rt' }, { [field]: value });
    }
  };
}

function stores(
  name: string,
  field: string,
  value: unknown,
  { via = 'create', readsBack = value }: { via?: Via; readsBack?: unknown } = {},
): Row {
  return { name, call: write(via, field, value), expect: { roundTrip: readsBack, field } };
}

// --- values in writes ------------------------------------------------------------------

const VALUES: Row[] = [
  {
    name: 'NaN in create',
    call: ({ d }) => d.create('item', { id: 'x', n: NaN }),
    expect: { code: INVALID, message: /Field "n": NaN is not a finite number/ },
  },
  {
    name: 'Infinity in create',
    call: ({ d }) => d.create('item', { id: 'x', title: 'ok', n: Infinity }),
    expect: { code: INVALID, message: /Field "n": Infinity/ },
  },
  {
    name: '-Infinity in update',
    call: ({ d }) => d.update('item', 'a', { n: -Infinity }),
    expect: { code: INVALID, message: /Field "n": -Infinity/ },
  },
  {
    name: 'NaN in upsert of an existing record',
    call: ({ d }) => d.upsert('item', { id: 'a', n: NaN }),
    expect: { code: INVALID, message: /Field "n"/ },
  },
  {
    name: 'Infinity in the 2nd record of bulkCreate (the 1st is not inserted either)',
    call: ({ d }) =>
      d.bulkCreate('item', [
        { id: 'x', n: 1 },
        { id: 'y', n: Infinity },
      ]),
    expect: { code: INVALID, message: /Record 1: Field "n"/ },
  },
  {
    name: 'NaN in updateMany data',
    call: ({ d }) => d.updateMany('item', {}, { n: NaN }),
    expect: { code: INVALID, message: /Field "n"/ },
  },
  stores('0', 'n', 0),
  stores('-0 (reads back as 0)', 'n', -0, { via: 'update', readsBack: 0 }),
  stores('1.5', 'n', 1.5, { via: 'upsert' }),
  stores('Number.MAX_SAFE_INTEGER', 'big', Number.MAX_SAFE_INTEGER, { via: 'bulkCreate' }),
  stores('2^53 + 2 (reads back as a BigInt, exactly)', 'big', 2 ** 53 + 2, {
    readsBack: BigInt(2 ** 53 + 2),
  }),
  stores('-(2^53) - 2 (reads back as a BigInt)', 'big', -(2 ** 53) - 2, {
    via: 'update',
    readsBack: -(2n ** 53n) - 2n,
  }),
  stores('a whole number past 2^64 (a float)', 'big', 2 ** 64),
  stores('BigInt 2^62', 'big', 2n ** 62n, { via: 'updateMany' }),
  stores('the largest int64 BigInt', 'big', 2n ** 63n - 1n),
  stores('the smallest int64 BigInt', 'big', -(2n ** 63n), { via: 'upsert' }),
  {
    name: 'BigInt 2^64 in create',
    call: ({ d }) => d.create('item', { id: 'x', big: 2n ** 64n }),
    expect: { code: INVALID, message: /Field "big": 18446744073709551616 does not fit in a 64-bit/ },
  },
  {
    name: 'BigInt below int64 in update',
    call: ({ d }) => d.update('item', 'a', { big: -(2n ** 63n) - 1n }),
    expect: { code: INVALID, message: /Field "big".*64-bit/ },
  },
  {
    name: 'an invalid Date in create',
    call: ({ d }) => d.create('item', { id: 'x', at: new Date(NaN) }),
    expect: { code: INVALID, message: /Field "at": an invalid Date/ },
  },
  {
    name: 'an invalid Date in updateMany data',
    call: ({ d }) => d.updateMany('item', { id: 'a' }, { at: new Date('not a date') }),
    expect: { code: INVALID, message: /Field "at"/ },
  },
  stores('a valid Date (as ISO text)', 'at', new Date('2024-02-29T23:59:59.999Z'), {
    readsBack: '2024-02-29T23:59:59.999Z',
  }),
  stores('a valid Date through updateMany', 'at', new Date(0), {
    via: 'updateMany',
    readsBack: '1970-01-01T00:00:00.000Z',
  }),
  {
    name: 'a lone high surrogate in create',
    call: ({ d }) => d.create('item', { id: 'x', title: 'a\uD800b' }),
    expect: { code: INVALID, message: /Field "title": the string has an unpaired surrogate/ },
  },
  {
    name: 'a lone low surrogate in update',
    call: ({ d }) => d.update('item', 'a', { title: '\uDC00' }),
    expect: { code: INVALID, message: /Field "title".*unpaired surrogate/ },
  },
  {
    name: 'a lone surrogate as the whole value of a json field',
    call: ({ d }) => d.create('item', { id: 'x', meta: '\uD800' }),
    expect: { code: INVALID, message: /Field "meta".*unpaired surrogate/ },
  },
  stores('emoji with a skin-tone modifier', 'title', 'x😀👍🏽y'),
  stores('emoji through bulkCreate', 'title', '🏳️‍🌈', { via: 'bulkCreate' }),
  stores('an empty string (not NULL)', 'title', ''),
  {
    name: 'text with a NUL in create',
    call: ({ d }) => d.create('item', { id: 'x', title: 'a\0b' }),
    expect: { code: INVALID, message: /Field "title".*NUL character.*Buffer/ },
  },
  {
    name: 'text with a NUL in update',
    call: ({ d }) => d.update('item', 'a', { data: 'a\0b' }),
    expect: { code: INVALID, message: /Field "data".*NUL/ },
  },
  {
    name: 'text with a NUL in upsert',
    call: ({ d }) => d.upsert('item', { id: 'a', data: '\0' }),
    expect: { code: INVALID, message: /Field "data".*NUL/ },
  },
  {
    name: 'text with a NUL in the 2nd record of bulkCreate',
    call: ({ d }) =>
      d.bulkCreate('item', [
        { id: 'x', title: 'fine' },
        { id: 'y', title: 'a\0b' },
      ]),
    expect: { code: INVALID, message: /Field "title".*NUL/ },
  },
  {
    name: 'text with a NUL in updateMany data',
    call: ({ d }) => d.updateMany('item', {}, { data: 'cut\0here' }),
    expect: { code: INVALID, message: /Field "data".*NUL/ },
  },
  stores('a Buffer full of 0 bytes', 'bin', Buffer.from([0, 0, 7, 0, 0])),
  stores('a Buffer with 0 bytes through update', 'bin', Buffer.from('a\0b'), { via: 'update' }),
  stores('a Uint8Array (reads back as a Buffer)', 'bin', new Uint8Array([0, 255, 0]), {
    readsBack: Buffer.from([0, 255, 0]),
  }),
  stores('a NUL inside a JSON string (JSON escapes it)', 'meta', { s: 'a\0b', list: ['\0'] }),
  // JSON.stringify escapes it (\ud800), so the stored text is well-formed. The kernel
  // contract hands Rust the structure, which holds UTF-8: refused there, by field.
  {
    name: 'a lone surrogate inside a JSON value, under the kernel contract',
    call: ({ d }) => d.create('item', { id: 'x', meta: { s: '\uD800' } }),
    expect: { code: INVALID, message: /Field "meta": .*unpaired surrogate/ },
    only: 'objectstack',
  },
  {
    ...stores('a lone surrogate inside a JSON value', 'meta', { s: '\uD800', list: ['\uDC00'] }),
    only: 'objectql',
  },
  {
    name: 'binary data over 1,000,000,000 bytes in create',
    call: ({ d }) => d.create('item', { id: 'x', bin: overLimit() }),
    expect: { code: INVALID, message: /Field "bin": 1000000001 bytes is longer than SQLite's limit/ },
  },
  {
    name: 'binary data over 1,000,000,000 bytes in updateMany data',
    call: ({ d }) => d.updateMany('item', {}, { bin: overLimit() }),
    expect: { code: INVALID, message: /Field "bin".*limit/ },
  },
];

// --- values JSON cannot encode, and records that are not records -----------------------

const RECORDS: Row[] = [
  {
    name: 'a cyclic object in a json field',
    call: ({ d }) => d.create('item', { id: 'x', meta: cyclic() }),
    expect: { code: INVALID, message: /Field "meta": the value cannot be stored as JSON/ },
  },
  {
    name: 'a cyclic object in a text field of update',
    call: ({ d }) => d.update('item', 'a', { data: cyclic() }),
    expect: { code: INVALID, message: /Field "data".*JSON/ },
  },
  {
    name: 'a BigInt inside an object',
    call: ({ d }) => d.create('item', { id: 'x', meta: { n: 1n } }),
    expect: { code: INVALID, message: /Field "meta".*BigInt/ },
  },
  {
    name: 'a throwing toJSON',
    call: ({ d }) =>
      d.create('item', {
        id: 'x',
        meta: {
          toJSON() {
            throw new Error('toJSON exploded');
          },
        },
      }),
    expect: { code: INVALID, message: /Field "meta".*toJSON exploded/ },
  },
  {
    name: 'a cyclic object in the 2nd record of bulkCreate',
    call: ({ d }) => d.bulkCreate('item', [{ id: 'x' }, { id: 'y', meta: cyclic() }]),
    expect: { code: INVALID, message: /Record 1: Field "meta"/ },
  },
  {
    name: 'a record field whose getter throws',
    call: ({ d }) => d.create('item', throwingGetter('title', { id: 'x' })),
    expect: { code: INVALID, message: /Field "title": reading it threw: getter exploded/ },
  },
  {
    name: 'a Proxy record whose ownKeys throws',
    call: ({ d }) => d.create('item', unlistable()),
    expect: { code: INVALID, message: /fields cannot be read: ownKeys exploded/ },
  },
  {
    name: 'a Proxy as updateMany data whose ownKeys throws',
    call: ({ d }) => d.updateMany('item', {}, unlistable()),
    expect: { code: INVALID, message: /ownKeys exploded/ },
  },
  {
    name: 'a function as a field value',
    call: ({ d }) => d.create('item', { id: 'x', title: () => 'x' }),
    expect: { code: INVALID, message: /Field "title": a function cannot be stored/ },
  },
  stores(
    'a json value with toJSON (its result is stored)',
    'meta',
    { toJSON: () => ({ v: 1 }) },
    {
      readsBack: { v: 1 },
    },
  ),
  stores(
    'NaN and Infinity nested in JSON (null, as JSON.stringify has it)',
    'meta',
    { x: NaN, y: [Infinity] },
    {
      readsBack: { x: null, y: [null] },
    },
  ),
  {
    name: 'an object as record id in create',
    call: ({ d }) => d.create('item', { id: { $ne: null }, title: 'x' }),
    expect: { code: INVALID, message: /Field "id": a record id must be a string or a number/ },
  },
  {
    name: 'an array as record id in upsert',
    call: ({ d }) => d.upsert('item', { id: ['a'], title: 'x' }),
    expect: { code: INVALID, message: /record id/ },
  },
  {
    name: 'an object as id of update',
    call: ({ d }) => d.update('item', { a: 1 } as unknown as string, { title: 'X' }),
    expect: { code: INVALID, message: /A record id must be a string or a number, got object/ },
  },
  {
    name: 'an array as id of update',
    call: ({ d }) => d.update('item', ['a'] as unknown as string, { title: 'X' }),
    expect: { code: INVALID, message: /got array/ },
  },
  {
    name: 'an object as id of delete',
    call: ({ d }) => d.delete('item', { id: 'a' } as unknown as string),
    expect: { code: INVALID, message: /record id/ },
  },
  {
    name: 'an array as id of delete',
    call: ({ d }) => d.delete('item', ['a', 'b'] as unknown as string),
    expect: { code: INVALID, message: /record id/ },
  },
  {
    name: 'an array as id of findOne',
    call: ({ d }) => d.findOne('item', ['a'] as unknown as string),
    expect: { code: INVALID, message: /got array/ },
  },
  {
    name: 'an object among the ids of bulkDelete (no id is deleted)',
    call: ({ d }) => d.bulkDelete('item', ['a', { id: 'b' } as unknown as string]),
    expect: { code: INVALID, message: /record id/ },
  },
  {
    name: 'an object as id in bulkUpdate',
    call: ({ d }) => d.bulkUpdate('item', [{ id: { a: 1 } as unknown as string, data: { title: 'X' } }]),
    expect: { code: INVALID, message: /record id/ },
  },
  {
    name: 'create(object, null)',
    call: ({ d }) => d.create('item', null as unknown as DataRecord),
    expect: { code: INVALID, message: /A record must be a plain object of field values, got null/ },
  },
  {
    name: "create(object, 'x')",
    call: ({ d }) => d.create('item', 'x' as unknown as DataRecord),
    expect: { code: INVALID, message: /got a string/ },
  },
  {
    name: 'create(object, undefined)',
    call: ({ d }) => d.create('item', undefined as unknown as DataRecord),
    expect: { code: INVALID, message: /plain object/ },
  },
  {
    name: 'create(object, [])',
    call: ({ d }) => d.create('item', [] as unknown as DataRecord),
    expect: { code: INVALID, message: /got an array/ },
  },
  {
    name: 'create(object, new Map(...))',
    call: ({ d }) => d.create('item', new Map([['title', 'x']]) as unknown as DataRecord),
    expect: { code: INVALID, message: /got a Map/ },
  },
  {
    name: 'create(object, new Date())',
    call: ({ d }) => d.create('item', new Date() as unknown as DataRecord),
    expect: { code: INVALID, message: /got a Date/ },
  },
  {
    name: 'a Buffer as a record',
    call: ({ d }) => d.create('item', Buffer.from('{}') as unknown as DataRecord),
    expect: { code: INVALID, message: /binary data/ },
  },
  {
    name: "update(object, id, 'x')",
    call: ({ d }) => d.update('item', 'a', 'x' as unknown as DataRecord),
    expect: { code: INVALID, message: /got a string/ },
  },
  {
    name: 'updateMany with a Map as data',
    call: ({ d }) => d.updateMany('item', {}, new Map([['title', 'X']]) as unknown as DataRecord),
    expect: { code: INVALID, message: /got a Map/ },
  },
  {
    name: 'upsert(object, null)',
    call: ({ d }) => d.upsert('item', null as unknown as DataRecord),
    expect: { code: INVALID, message: /got null/ },
  },
  {
    name: 'bulkCreate with a null after a valid record (neither is inserted)',
    call: ({ d }) => d.bulkCreate('item', [{ id: 'x', title: 'valid' }, null as unknown as DataRecord]),
    expect: { code: INVALID, message: /Record 1: A record must be a plain object/ },
  },
  {
    name: 'bulkCreate(object, null)',
    call: ({ d }) => d.bulkCreate('item', null as unknown as DataRecord[]),
    expect: { code: INVALID, message: /Records must be an array of record objects, got null/ },
  },
  {
    name: "bulkCreate(object, 'x')",
    call: ({ d }) => d.bulkCreate('item', 'x' as unknown as DataRecord[]),
    expect: { code: INVALID, message: /must be an array/ },
  },
];

// --- filters ---------------------------------------------------------------------------

const FILTERS: Row[] = [
  {
    name: 'NaN as an equality value in count',
    call: ({ d }) => d.count('item', { n: NaN }),
    expect: { code: INVALID, message: /at n: NaN cannot be stored or compared/ },
  },
  {
    name: 'Infinity under $gt in find (the message gives the path)',
    call: ({ d }) => d.find('item', { where: { n: { $gt: Infinity } } }),
    expect: { code: INVALID, message: /at where\.n\.\$gt: Infinity/ },
  },
  {
    name: '-Infinity under $lt in deleteMany',
    call: ({ d }) => d.deleteMany('item', { n: { $lt: -Infinity } }),
    expect: { code: INVALID, message: /at n\.\$lt: -Infinity/ },
  },
  {
    name: 'NaN under $lt in updateMany',
    call: ({ d }) => d.updateMany('item', { n: { $lt: NaN } }, { title: 'X' }),
    expect: { code: INVALID, message: /NaN/ },
  },
  {
    name: 'BigInt 2^64 in a deleteMany filter',
    call: ({ d }) => d.deleteMany('item', { big: 2n ** 64n }),
    expect: { code: INVALID, message: /at big: BigInt value does not fit in a 64-bit/ },
  },
  {
    name: 'an invalid Date under $lt in count',
    call: ({ d }) => d.count('item', { at: { $lt: new Date(NaN) } }),
    expect: { code: INVALID, message: /at at\.\$lt: an invalid Date/ },
  },
  {
    name: 'a lone surrogate inside $in',
    call: ({ d }) => d.find('item', { where: { title: { $in: ['Alpha', '\uD800'] } } }),
    expect: { code: INVALID, message: /at where\.title\.\$in\[1\]: .*unpaired surrogate/ },
  },
  {
    name: 'text with a NUL in a find filter',
    call: ({ d }) => d.find('item', { where: { title: 'a\0b' } }),
    expect: { code: FILTER, message: /Field "title": .*NUL character/ },
  },
  {
    // Cut at the NUL, "$ne 'a'" would have matched (and deleted) every other row.
    name: 'text with a NUL under $ne in deleteMany',
    call: ({ d }) => d.deleteMany('item', { title: { $ne: 'Alpha\0 not really' } }),
    expect: { code: FILTER, message: /Field "title": .*NUL character/ },
  },
  {
    name: 'a filter value whose getter throws',
    call: ({ d }) => d.find('item', { where: throwingGetter('title') }),
    expect: { code: INVALID, message: /reading the property threw: Error: getter exploded/ },
  },
  {
    name: 'a Proxy filter whose ownKeys throws, in deleteMany',
    call: ({ d }) => d.deleteMany('item', unlistable()),
    expect: { code: INVALID, message: /ownKeys exploded/ },
  },
  {
    name: 'a Symbol as a filter value in deleteMany',
    call: ({ d }) => d.deleteMany('item', { title: Symbol('Alpha') }),
    expect: { code: INVALID, message: /at title: Functions and symbols cannot be stored or used in a query/ },
  },
  {
    name: 'a function as a filter value in count',
    call: ({ d }) => d.count('item', { title: () => 'Alpha' }),
    expect: { code: INVALID, message: /Functions and symbols/ },
  },
  {
    name: 'a cyclic filter in updateMany',
    call: ({ d }) => d.updateMany('item', cyclic(), { title: 'X' }),
    expect: { code: INVALID, message: /does it contain a cycle\?/ },
  },
  {
    name: 'an empty operator object in find',
    call: ({ d }) => d.find('item', { where: { title: {} } }),
    expect: { code: FILTER, message: /Field "title" has an empty operator object|carries zero operators/ },
  },
  {
    name: 'an empty operator object in deleteMany',
    call: ({ d }) => d.deleteMany('item', { title: {} }),
    expect: { code: FILTER, message: /empty operator object|zero operators/ },
  },
  {
    name: '$and of an empty filter with $not: null in count',
    call: ({ d }) => d.count('item', { $and: [{}], $not: null }),
    expect: { code: FILTER, message: /"\$not" needs a filter object|filter\.\$not is a null/ },
  },
  {
    name: '$not: null in updateMany',
    call: ({ d }) => d.updateMany('item', { $not: null }, { title: 'X' }),
    expect: { code: FILTER, message: /\$not/ },
  },
  {
    name: 'an unknown operator in find',
    call: ({ d }) => d.find('item', { where: { title: { $bogus: 1 } } }),
    expect: { code: FILTER, message: /(Unknown|Unsupported) filter operator "\$bogus" on field "title"/ },
  },
  {
    name: 'an unknown operator in updateMany',
    call: ({ d }) => d.updateMany('item', { n: { $gt: 0, $near: 1 } }, { title: 'X' }),
    expect: { code: FILTER, message: /(Unknown|Unsupported) filter operator "\$near" on field "n"/ },
  },
  {
    name: 'a pattern operator ($regex) in deleteMany',
    call: ({ d }) => d.deleteMany('item', { title: { $regex: '.*' } }),
    expect: { code: FILTER, message: /"\$regex" on field "title" is not supported/ },
  },
  {
    // SQLite would read the unknown "titel" as the string 'titel' (4.2.2 deleted every row).
    name: 'a field the table lacks in deleteMany',
    call: ({ d }) => d.deleteMany('item', { titel: 'Alpha' }),
    expect: { code: MISSING, message: /titel/ },
  },
  {
    name: 'a field the table lacks in count',
    call: ({ d }) => d.count('item', { nope: { $ne: 1 } }),
    expect: { code: MISSING, message: /nope/ },
  },
  {
    name: 'deleteMany with an empty $or deletes nothing',
    call: async ({ d }) => [affected(await d.deleteMany('item', { $or: [] })), await ids(d)],
    expect: { result: [0, ['a', 'b', 'c']] },
  },
  {
    name: 'updateMany with an empty $or changes nothing',
    call: async ({ d }) => [
      affected(await d.updateMany('item', { $or: [] }, { title: 'X' })),
      await titles(d),
    ],
    expect: { result: [0, ['Alpha', 'Beta', null]] },
  },
  {
    name: 'find with an empty $or finds nothing',
    call: ({ d }) => d.find('item', { where: { $or: [] } }),
    expect: { result: [] },
  },
  {
    name: 'count with an empty $or nested in $and counts nothing',
    call: ({ d }) => d.count('item', { $and: [{ $or: [] }] }),
    expect: { result: 0 },
  },
  {
    name: 'count with a $not of nothing counts nothing',
    call: ({ d }) => d.count('item', { $not: {} }),
    expect: { result: 0 },
  },
  {
    name: 'deleteMany with the top-level empty filter deletes every row (as in 4.2.2)',
    call: async ({ d }) => [affected(await d.deleteMany('item', {})), await ids(d)],
    expect: { result: [3, []] },
  },
  {
    name: 'a BigInt within int64 matches as a filter value',
    call: async ({ d }) => {
      await d.create('item', { id: 'x', big: 2n ** 62n });
      return (await d.find('item', { where: { big: 2n ** 62n } })).map((r) => r.id);
    },
    expect: { result: ['x'] },
  },
  {
    name: 'emoji match as a filter value',
    call: async ({ d }) => {
      await d.create('item', { id: 'x', title: '😀👍🏽' });
      return d.count('item', { title: '😀👍🏽' });
    },
    expect: { result: 1 },
  },
];

// --- schema, raw SQL, transactions, lifecycle ------------------------------------------

const withBadIndex = (object: ObjectSchema): ObjectSchema => ({
  ...object,
  indexes: [{ fields: ['emial'], unique: true }],
});

const RAW: Row[] = [
  {
    // SQLite would index the constant string 'emial': a unique index holding one row.
    name: 'an index on a field a new object lacks',
    call: (c) => c.sync(withBadIndex({ name: 'person', fields: { email: { type: 'text' } } })),
    expect: {
      code: INVALID,
      message: /Index ".*" of "person" names "emial".*nothing of this sync was applied/,
    },
  },
  {
    name: 'an index on a missing field in a sync that also adds a column (the column is not added)',
    call: (c) => c.sync(withBadIndex({ ...ITEM, fields: { ...ITEM.fields, extra: { type: 'text' } } })),
    expect: { code: INVALID, message: /names "emial".*nothing of this sync was applied/ },
  },
  {
    name: "execute('')",
    call: ({ d }) => d.execute(''),
    expect: { code: INVALID, message: /the text is empty/ },
  },
  {
    name: 'execute of a comment only',
    call: ({ d }) => d.execute('/* nothing */ -- at all'),
    expect: { code: INVALID, message: /empty \(or only comments\)/ },
  },
  {
    name: "execute('SELECT 1; SELECT 2')",
    call: ({ d }) => d.execute('SELECT 1; SELECT 2'),
    expect: { code: INVALID, message: /runs one SQL statement; the text holds more than one/ },
  },
  {
    // SQLite would have run the UPDATE and dropped the rest.
    name: 'execute of an UPDATE followed by a DROP (the UPDATE does not run)',
    call: ({ d }) => d.execute("UPDATE item SET title = 'X'; DROP TABLE item"),
    expect: { code: INVALID, message: /more than one/ },
  },
  ...['BEGIN', 'begin immediate', 'COMMIT', 'ROLLBACK', 'END', 'END TRANSACTION'].map((sql): Row => ({
    name: `execute('${sql}')`,
    call: ({ d }) => d.execute(sql),
    expect: { code: INVALID, message: /Use beginTransaction\(\)/ },
  })),
  {
    name: 'execute(42)',
    call: ({ d }) => d.execute(42 as unknown as string),
    expect: { code: INVALID, message: /execute needs SQL text: a string, or \{ sql, args \}; got number/ },
  },
  {
    name: 'execute(null)',
    call: ({ d }) => d.execute(null as unknown as string),
    expect: { code: INVALID, message: /got null/ },
  },
  {
    name: 'execute({})',
    call: ({ d }) => d.execute({} as unknown as string),
    expect: { code: INVALID, message: /got object/ },
  },
  {
    name: 'execute with parameters that are not an array',
    call: ({ d }) => d.execute('SELECT ?', 'x' as unknown as unknown[]),
    expect: { code: INVALID, message: /SQL parameters must be an array/ },
  },
  {
    name: 'execute with a NaN parameter',
    call: ({ d }) => d.execute('SELECT ?', [NaN]),
    expect: { code: INVALID, message: /at \[0\]: NaN cannot be stored/ },
  },
  {
    name: 'execute({ sql, args }) with an Infinity argument',
    call: ({ d }) => d.execute({ sql: 'UPDATE item SET n = ?', args: [Infinity] }),
    expect: { code: INVALID, message: /at \[0\]: Infinity/ },
  },
  {
    name: 'execute with a BigInt 2^64 parameter',
    call: ({ d }) => d.execute('UPDATE item SET big = ?', [2n ** 64n]),
    expect: { code: INVALID, message: /64-bit/ },
  },
  {
    name: 'execute with an invalid Date parameter',
    call: ({ d }) => d.execute('UPDATE item SET at = ?', [new Date(NaN)]),
    expect: { code: INVALID, message: /an invalid Date/ },
  },
  {
    name: 'execute with a lone-surrogate parameter',
    call: ({ d }) => d.execute('UPDATE item SET title = ?', ['\uDBFF']),
    expect: { code: INVALID, message: /unpaired surrogate/ },
  },
  {
    name: 'execute with a NUL-text parameter',
    call: ({ d }) => d.execute('UPDATE item SET title = ?', ['a\0b']),
    expect: { code: INVALID, message: /SQL parameter 1: .*NUL character/ },
  },
  {
    name: 'execute with a Symbol parameter',
    call: ({ d }) => d.execute('UPDATE item SET title = ?', [Symbol('x')]),
    expect: { code: INVALID, message: /Functions and symbols/ },
  },
  {
    name: 'execute with a cyclic parameter',
    call: ({ d }) => {
      const loop: unknown[] = [];
      loop.push(loop);
      return d.execute('UPDATE item SET meta = ?', [loop]);
    },
    expect: { code: INVALID, message: /cycle/ },
  },
  {
    name: 'execute runs one statement with comments and a trailing ;',
    call: async ({ d }) => rowsOf(await d.execute('-- lead\nSELECT ? AS v /* mid */ ; -- tail', [1.5])),
    expect: { result: [{ v: 1.5 }] },
  },
  {
    name: 'execute binds a valid Date as ISO text and a Buffer holding a 0 byte as it is',
    call: async ({ d }) =>
      rowsOf(await d.execute('SELECT ? AS at, ? AS bin', [new Date(0), Buffer.from('a\0b')])),
    expect: { result: [{ at: '1970-01-01T00:00:00.000Z', bin: Buffer.from('a\0b') }] },
  },
  {
    name: 'SAVEPOINT, ROLLBACK TO and RELEASE work inside a driver transaction',
    call: async ({ d }) => {
      const tx = await d.beginTransaction();
      await d.execute('SAVEPOINT s', [], { transaction: tx });
      await d.create('item', { id: 'gone' }, { transaction: tx });
      await d.execute('ROLLBACK TO s', [], { transaction: tx });
      await d.execute('RELEASE s;', [], { transaction: tx });
      await d.create('item', { id: 'kept' }, { transaction: tx });
      await d.commit(tx);
      return ids(d);
    },
    expect: { result: ['a', 'b', 'c', 'kept'] },
  },
  {
    name: 'commit(null)',
    call: ({ d }) => d.commit(null as unknown as TursoTransaction),
    expect: {
      code: 'DRIVER_ERROR',
      message:
        /commit\(\) needs the transaction handle that this driver's beginTransaction\(\) returned; got null/,
    },
  },
  {
    name: 'commit(undefined)',
    call: ({ d }) => d.commit(undefined as unknown as TursoTransaction),
    expect: {
      code: 'DRIVER_ERROR',
      message: /transaction handle that this driver's beginTransaction\(\) returned; got undefined/,
    },
  },
  {
    name: 'rollback(123)',
    call: ({ d }) => d.rollback(123 as unknown as TursoTransaction),
    expect: { code: 'DRIVER_ERROR', message: /transaction.*beginTransaction\(\)/ },
  },
  {
    name: 'a look-alike transaction handle on a write',
    call: ({ d }) => d.create('item', { id: 'x' }, { transaction: { id: 1 } }),
    expect: { code: 'DRIVER_ERROR', message: /not a transaction of this driver/ },
  },
  {
    name: 'commit of a transaction already committed',
    setup: async ({ d }) => {
      const tx = await d.beginTransaction();
      await d.commit(tx);
      return tx;
    },
    call: ({ d }, tx) => d.commit(tx as TursoTransaction),
    expect: { code: 'DRIVER_ERROR', message: /is not open/ },
  },
  {
    name: 'a call after disconnect() reconnects',
    call: async ({ d }) => {
      await d.disconnect();
      return d.count('item', {});
    },
    expect: { result: 3 },
  },
];

// --- names and payloads that look like SQL ---------------------------------------------

const DROP = "'); DROP TABLE item;--";

const INJECTION: Row[] = [
  stores('a value that closes a quote and drops the table', 'title', DROP),
  {
    name: 'the same payload works as id, value and filter, and the table survives',
    call: async ({ d }) => {
      await d.create('item', { id: DROP, title: DROP });
      const found = await d.find('item', { where: { title: DROP } });
      return [found.map((r) => r.id), await d.count('item', {})];
    },
    expect: { result: [[DROP], 4] },
  },
  {
    name: 'an object name with a quote and a statement',
    call: ({ d }) => d.find('item"; DROP TABLE item; --', {}),
    expect: { code: STATEMENT, message: /no such table/ },
  },
  {
    name: 'an object name with spaces in deleteMany',
    call: ({ d }) => d.deleteMany('item WHERE 1 = 1 OR', {}),
    expect: { code: STATEMENT, message: /no such table/ },
  },
  {
    name: 'a filter field with a quote',
    call: ({ d }) => d.find('item', { where: { 'title" OR 1=1 --': 1 } }),
    expect: { code: MISSING },
  },
  {
    name: 'a filter field with spaces in deleteMany',
    call: ({ d }) => d.deleteMany('item', { 'title OR 1': 1 }),
    expect: { code: MISSING },
  },
  {
    name: 'a projected field with a quote',
    call: ({ d }) => d.find('item', { fields: ['title" FROM item; --'] }),
    expect: { code: MISSING, message: /title" FROM item; --/ },
    only: 'objectql',
  },
  {
    // The kernel's drivers leave a field without a column out of a projection.
    name: 'a projected field with a quote is left out of the projection under the kernel contract',
    call: async ({ d }) => (await d.find('item', { fields: ['title" FROM item; --', 'id'] })).length,
    expect: { result: 3 },
    only: 'objectstack',
  },
  {
    name: 'a sort field with a statement',
    call: ({ d }) => d.find('item', { sort: [['title; DROP TABLE item', 'asc']] }),
    expect: { code: STATEMENT, message: /title; DROP TABLE item/ },
    only: 'objectql',
  },
  {
    // As the kernel's own driver: rows matter more than their order, so a sort key the
    // table lacks is dropped (a filter on one is refused: dropping it would widen).
    name: 'a sort field with a statement is dropped from the order under the kernel contract',
    call: async ({ d }) =>
      (
        await d.find('item', {
          orderBy: [{ field: 'title; DROP TABLE item', order: 'asc' }, { field: 'id' }],
        })
      )
        .map((r) => r.id)
        .join(),
    expect: { result: 'a,b,c' },
    only: 'objectstack',
  },
  {
    name: 'a record field with quotes',
    call: ({ d }) => d.create('item', { id: 'x', 'title", "n': 1 }),
    expect: { code: STATEMENT, message: /has no column named/ },
  },
  {
    name: 'a limit that is a statement',
    call: ({ d }) => d.find('item', { limit: '1; DROP TABLE item' as unknown as number }),
    expect: { code: INVALID, message: /Invalid limit/ },
  },
];

/** A proxy whose every use throws (the target is gone). */
function revoked(): DataRecord {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy as DataRecord;
}

/** A proxy whose property reads and `in` checks throw. */
const throwing = (): DataRecord =>
  new Proxy(
    {},
    {
      get: () => {
        throw new Error('get trap');
      },
      has: () => {
        throw new Error('has trap');
      },
    },
  ) as DataRecord;

// Arguments whose very inspection throws: every one a rejection, none a synchronous throw.
const EXOTIC: Row[] = [
  {
    name: 'a revoked proxy as a findOne id',
    call: ({ d }) => d.findOne('item', revoked() as never),
    expect: { code: INVALID, message: /arguments cannot be read/ },
  },
  {
    name: 'a revoked proxy as execute command',
    call: ({ d }) => d.execute(revoked() as never),
    expect: { code: INVALID, message: /arguments cannot be read/ },
  },
  {
    name: 'a throwing proxy as execute command',
    call: ({ d }) => d.execute(throwing() as never),
    expect: { code: INVALID, message: /get trap/ },
  },
  {
    name: 'a revoked proxy as bulkCreate records',
    call: ({ d }) => d.bulkCreate('item', revoked() as never),
    expect: { code: INVALID },
  },
  {
    name: 'a revoked proxy as bulkUpdate updates',
    call: ({ d }) => d.bulkUpdate('item', revoked() as never),
    expect: { code: INVALID },
  },
  {
    name: 'a revoked proxy inside bulkUpdate',
    call: ({ d }) => d.bulkUpdate('item', [revoked()] as never),
    expect: { code: INVALID },
  },
  {
    name: 'a revoked proxy as bulkDelete ids',
    call: ({ d }) => d.bulkDelete('item', revoked() as never),
    expect: { code: INVALID },
  },
  {
    name: 'a revoked proxy as upsert conflict keys',
    call: ({ d }) => d.upsert('item', { id: 'a' }, revoked() as never),
    expect: { code: INVALID },
  },
  {
    name: 'a revoked proxy as a record',
    call: ({ d }) => d.create('item', revoked()),
    expect: { code: INVALID, message: /cannot be read/ },
  },
  {
    name: 'a revoked proxy as a schema',
    call: ({ d }) => d.syncSchema('other', revoked() as never),
    expect: { code: INVALID },
  },
  {
    name: 'a revoked proxy in a schema batch',
    call: ({ d }) => d.syncSchemasBatch([revoked()] as never),
    expect: { code: INVALID },
  },
  {
    name: 'throwing options',
    call: ({ d }) => d.find('item', {}, throwing() as never),
    expect: { code: INVALID, message: /get trap/ },
  },
  {
    name: 'a throwing object name',
    call: ({ d }) => d.find(throwing() as never, {}),
    expect: { code: INVALID },
  },
  {
    name: 'a revoked proxy as an updateMany filter',
    call: ({ d }) => d.updateMany('item', revoked() as never, { title: 'y' }),
    expect: { code: { objectql: INVALID, objectstack: INVALID } },
  },
  {
    name: 'a handle whose prototype throws to commit',
    call: ({ d }) =>
      d.commit(
        new Proxy(
          {},
          {
            getPrototypeOf: () => {
              throw new Error('proto trap');
            },
          },
        ) as never,
      ),
    expect: { code: INVALID, message: /proto trap/ },
  },
  {
    name: 'a Buffer in a JSON field (JSON has no bytes)',
    call: ({ d }) => d.create('item', { meta: Buffer.from([1, 2]) }),
    expect: { code: INVALID, message: /Field "meta": binary data cannot be stored in a JSON field/ },
  },
  {
    name: 'a Buffer in a JSON field through bulkCreate',
    call: ({ d }) => d.bulkCreate('item', [{ title: 'ok' }, { meta: new Uint8Array([1]) }]),
    expect: { code: INVALID, message: /binary data/ },
  },
  // Refused before the bytes are copied (it took seconds and gigabytes).
  {
    name: 'an over-length typed array as an execute parameter',
    call: ({ d }) => d.execute('SELECT length(?)', [overLimit()]),
    expect: { code: INVALID, message: /longer than SQLite's limit/ },
  },
  {
    name: 'an over-length typed array as a filter value',
    call: ({ d }) => d.find('item', { where: { bin: overLimit() } }),
    expect: {
      code: INVALID,
      message: /longer than SQLite's limit/,
    },
  },
];

const TABLES: Array<[string, Row[]]> = [
  ['values in writes', VALUES],
  ['values JSON cannot encode and records that are not records', RECORDS],
  ['hostile filters', FILTERS],
  ['schema, raw SQL, transactions and lifecycle', RAW],
  ['names and payloads that look like SQL', INJECTION],
  ['arguments whose inspection throws, and bytes where they cannot go', EXOTIC],
];

const SETUPS: Record<
  Contract,
  { config: { contract?: 'objectstack' }; sync: (d: TursoDriver, o: ObjectSchema) => Promise<void> }
> = {
  objectql: { config: {}, sync: (d, o) => d.init([o]) },
  objectstack: { config: { contract: 'objectstack' }, sync: (d, o) => d.syncSchema(o.name, o) },
};

/** The test's name: what the row's call should do. */
function title(row: Row): string {
  if ('code' in row.expect) return `should refuse ${row.name}`;
  if ('roundTrip' in row.expect) return `should read back ${row.name} as written`;
  return `should hold that ${row.name}`;
}

const codeFor = (code: Code, contract: Contract): string =>
  typeof code === 'string' ? code : code[contract];

async function expectRefused(c: Ctx, row: Row, code: Code, message: RegExp | undefined): Promise<void> {
  const prepared = row.setup ? await row.setup(c) : undefined;
  const before = await snapshot(c.d);
  let pending: unknown;
  expect(() => {
    pending = row.call(c, prepared);
  }).not.toThrow();
  expect(pending).toBeInstanceOf(Promise);
  const err = await (pending as Promise<unknown>).then(
    (value) => ({ resolved: value }),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ObjectQLError);
  expect(err).toMatchObject({ name: 'ObjectQLError', code: codeFor(code, c.contract) });
  if (message) expect((err as Error).message).toMatch(message);
  expect(await snapshot(c.d)).toEqual(before);
}

describe.each(['objectql', 'objectstack'] as Contract[])('given the %s contract', (contract) => {
  const sandbox = useSandbox();
  let c: Ctx;

  beforeEach(async () => {
    const setup = SETUPS[contract];
    const d = sandbox.driver({ url: sandbox.fileUrl(), ...setup.config });
    c = { d, contract, sync: (o) => setup.sync(d, o) };
    await c.sync(ITEM);
    await d.bulkCreate('item', SEED);
  });

  describe.each(TABLES)('given %s', (_, rows) => {
    const here = rows.filter((r) => r.only === undefined || r.only === contract);

    it.each(here.map((r) => [title(r), r] as const))('%s', async (_title, row) => {
      const want = row.expect;
      if ('code' in want) {
        await expectRefused(c, row, want.code, want.message);
      } else if ('roundTrip' in want) {
        const answer = await row.call(c, undefined);
        // create, update and upsert answer with the row as stored.
        if (answer !== null && typeof answer === 'object' && want.field in answer) {
          expect((answer as DataRecord)[want.field]).toEqual(want.roundTrip);
        }
        const stored = await c.d.findOne('item', 'rt');
        expect(stored?.[want.field]).toEqual(want.roundTrip);
      } else {
        const prepared = row.setup ? await row.setup(c) : undefined;
        expect(await row.call(c, prepared)).toEqual(want.result);
      }
    });
  });
});

// --- configuration: constructors throw, by design --------------------------------------

const CONFIGS: Array<{ name: string; config: Record<string, unknown>; message: RegExp }> = [
  { name: 'timeout: Infinity', config: { timeout: Infinity }, message: /"timeout" must be a finite/ },
  { name: 'timeout: NaN', config: { timeout: NaN }, message: /"timeout"/ },
  { name: 'timeout: -1', config: { timeout: -1 }, message: /"timeout".*non-negative/ },
  {
    name: 'concurrency: Infinity',
    config: { concurrency: Infinity },
    message: /"concurrency" must be a finite/,
  },
];

describe('given a configuration the driver cannot serve', () => {
  it.each(CONFIGS.map((r) => [r.name, r] as const))(
    'should throw CONFIG_ERROR from the constructor for %s',
    (_name, row) => {
      const err = thrownBy(() => new TursoDriver({ url: ':memory:', ...row.config }));
      expect(err).toBeInstanceOf(ObjectQLError);
      expect(err).toMatchObject({ name: 'ObjectQLError', code: 'CONFIG_ERROR' });
      expect((err as Error).message).toMatch(row.message);
    },
  );
});
