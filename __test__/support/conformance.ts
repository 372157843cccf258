// The driver conformance harness: every driver case set of `@objectstack/spec/data`, run
// against a pluggable driver exactly as the sets' doc comments prescribe (seed through
// `create`, declare the object through `syncSchema`/`syncSchemasBatch`, read through
// `find`/`aggregate`, compare ids). One `it` per case, named by the case; failures throw
// one-line messages ("expected ids [1, 2], got [2]", "find rejected with INVALID_REQUEST
// '...'") so a run reads as a list of diagnoses.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import type * as SpecData from '@objectstack/spec/dist/data/index';

// Runtime values come through the package's `exports` map (`@objectstack/spec/data`); the
// types through the file path, because this project's `moduleResolution: node10` cannot
// read `exports`. `@objectstack/core`'s declarations import `exports`-only subpaths, so
// its one function used here is typed by hand.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const spec: typeof SpecData = require('@objectstack/spec/data');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { resolveFilterTokens } = require('@objectstack/core') as {
  resolveFilterTokens: <T>(filter: T, options: { now: Date }) => T;
};

const {
  AGGREGATION_CASES,
  AGGREGATION_ROWS,
  FILTER_COMPARAND_TYPE_CASES,
  FILTER_COMPARAND_TYPE_ROWS,
  FILTER_LOGIC_CASES,
  FILTER_LOGIC_ROWS,
  FILTER_TEXT_CASES,
  FILTER_TEXT_ROWS,
  PAGINATION_ALL_IDS,
  PAGINATION_CASES,
  PAGINATION_ROWS,
  PAGINATION_UNORDERED_CASES,
  PAGINATION_ZERO_LIMIT_CASES,
  TEMPORAL_CASES,
  TEMPORAL_NOW,
  TEMPORAL_ROWS,
  TEMPORAL_TIME_CASES,
  TEMPORAL_TIME_ROWS,
  VALUE_ROUNDTRIP_CASES,
  VALUE_ROUNDTRIP_COLLISION_PAIRS,
  VALUE_ROUNDTRIP_FIELDS,
  VALUE_ROUNDTRIP_ROWS,
  parseFilterAST,
  valueRoundTripDivergence,
} = spec;

/**
 * The driver under test, duck-typed to the calls the kernel makes: `connect`,
 * `syncSchema(name, schema)` / `syncSchemasBatch([{ object, schema }])`, `create`, `find`,
 * `aggregate`, `disconnect`. `any` on purpose: the two drivers' declared types differ
 * (and the native one's kernel contract mode is not in `index.d.ts` yet).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConformanceDriver = any;

/** Makes a driver whose database lives inside `dir` (a fresh temp dir per case set). */
export type DriverFactory = (dir: string) => ConformanceDriver | Promise<ConformanceDriver>;

/** Tests that are not cases of a set (fixture read-backs, the collision pairs) carry this prefix. */
export const EXTRA = '[extra]';

type Row = Record<string, unknown>;
interface ObjectSchema {
  name: string;
  label: string;
  fields: Record<string, Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------
// Rendering: one-line, type-revealing, never throwing (bigints, Dates, Maps, Symbols).
// ---------------------------------------------------------------------------------------

/** A value as a short string that shows its type where JSON would hide it. */
export function render(value: unknown): string {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): string => {
    if (v === undefined) return 'undefined';
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'symbol') return v.toString();
    if (typeof v === 'function') return '[function]';
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v !== 'object' || v === null) return Object.is(v, -0) ? '-0' : String(v);
    if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? 'Invalid' : v.toISOString()})`;
    if (seen.has(v)) return '[circular]';
    seen.add(v);
    if (Array.isArray(v)) return `[${v.map(walk).join(', ')}]`;
    const proto = Object.getPrototypeOf(v);
    const tag = proto && proto !== Object.prototype && proto.constructor ? proto.constructor.name : '';
    const body = Object.entries(v as Row)
      .map(([k, x]) => `${k}: ${walk(x)}`)
      .join(', ');
    return `${tag ? tag + ' ' : ''}{${body}}`;
  };
  return walk(value);
}

/** A read value with its JS type, for type-sensitive diagnoses: `"1" (string)`. */
const typed = (value: unknown): string =>
  `${render(value)} (${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`;

/** An error as `CODE[/status] 'message'` (message cut to one line). */
export function describeError(err: unknown): string {
  // Duck-typed: errors made in another realm (a native addon, Jest's module sandbox) fail
  // `instanceof Error`.
  if (err === null || typeof err !== 'object' || typeof (err as Error).message !== 'string') {
    return `non-Error ${render(err)}`;
  }
  const e = err as Error & { code?: unknown; status?: unknown };
  const code = e.code !== undefined ? String(e.code) : `${e.name ?? 'Error'} (no code)`;
  const status = e.status !== undefined ? `/${String(e.status)}` : '';
  const message = e.message.replace(/\s+/g, ' ').trim();
  return `${code}${status} '${message.length > 220 ? message.slice(0, 220) + '…' : message}'`;
}

/** A diagnosis: the one-line message a failing case reports. */
class Diagnosis extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Diagnosis';
  }
}

function fail(message: string): never {
  throw new Diagnosis(message);
}

/** Awaits a driver call; a rejection becomes `<what> rejected with CODE 'message'`. */
async function attempt<T>(what: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    return fail(`${what} rejected with ${describeError(err)}`);
  }
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The `id`s of `rows`, as strings, ascending (the order every case's `expected` uses). */
function idsOf(rows: unknown, what: string): string[] {
  if (!Array.isArray(rows)) fail(`${what} resolved ${typed(rows)}, expected an array of rows`);
  return rows.map((r: Row) => String(r?.id)).sort(byText);
}

function expectIds(got: string[], expected: readonly string[], prefix = ''): void {
  const want = [...expected].sort(byText);
  if (got.length !== want.length || got.some((id, i) => id !== want[i])) {
    fail(`${prefix}expected ids [${want.join(', ')}], got [${got.join(', ')}]`);
  }
}

// ---------------------------------------------------------------------------------------
// One case set's bench: a temp dir, a connected driver, the object synced, rows seeded.
// ---------------------------------------------------------------------------------------

interface Bench {
  readonly driver: ConformanceDriver;
  readonly object: string;
  /** Throws the setup failure, or the seed failure of one of `ids`, as the case's diagnosis. */
  ready(ids?: readonly string[]): void;
  /** `find(object, { object, ...query })`, a rejection turned into a diagnosis. */
  find(query: Row, what?: string): Promise<Row[]>;
}

/** Declares the object as the engine does: batch sync when advertised, else per object. */
async function syncObject(driver: ConformanceDriver, schema: ObjectSchema): Promise<void> {
  if (driver.supports?.batchSchemaSync === true && typeof driver.syncSchemasBatch === 'function') {
    await attempt('syncSchemasBatch([{ object, schema }])', () =>
      driver.syncSchemasBatch([{ object: schema.name, schema }]),
    );
  } else {
    await attempt('syncSchema(name, schema)', () => driver.syncSchema(schema.name, schema));
  }
}

/**
 * Registers beforeAll/afterAll for one case set: a temp dir (`fs.mkdtempSync`), the
 * driver from `factory`, `connect()`, the object synced, then every row created through
 * `create(object, row)` (a copy: drivers may not mutate the fixture). A setup failure is
 * kept and reported by every case, rather than failing the hook, so each case still
 * names what went wrong; a row that failed to seed is reported by the cases that need it.
 */
function useBench(factory: DriverFactory, schema: ObjectSchema, rows: () => readonly Row[]): Bench {
  let dir: string | undefined;
  let driver: ConformanceDriver;
  let setupError: string | undefined;
  const seedErrors = new Map<string, string>();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `conformance-${schema.name}-`));
    try {
      driver = await attempt('the driver factory', () => factory(dir!));
      if (typeof driver.connect === 'function') await attempt('connect()', () => driver.connect());
      await syncObject(driver, schema);
    } catch (err) {
      setupError = err instanceof Error ? err.message : String(err);
      return;
    }
    for (const row of rows()) {
      const key = String(row.id ?? row.label);
      try {
        const created = await driver.create(schema.name, { ...row });
        if (created == null || typeof created !== 'object') {
          seedErrors.set(key, `create() resolved ${typed(created)}, expected the created row`);
        }
      } catch (err) {
        seedErrors.set(key, `create(${render(row)}) rejected with ${describeError(err)}`);
      }
    }
  });

  afterAll(async () => {
    try {
      if (driver && typeof driver.disconnect === 'function') await driver.disconnect();
    } catch {
      // A driver that cannot disconnect is not this harness's finding.
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  return {
    get driver() {
      return driver;
    },
    object: schema.name,
    ready(ids) {
      if (setupError !== undefined) fail(`fixture setup failed: ${setupError}`);
      const relevant = ids ?? [...seedErrors.keys()];
      const broken = relevant.filter((id) => seedErrors.has(id));
      if (broken.length > 0) {
        fail(
          `seeding failed: ${seedErrors.get(broken[0])}${broken.length > 1 ? ` (+${broken.length - 1} more rows)` : ''}`,
        );
      }
    },
    async find(query, what) {
      const rowsRead = await attempt(what ?? `find(${render(query)})`, () =>
        driver.find(schema.name, { object: schema.name, ...query }),
      );
      if (!Array.isArray(rowsRead)) fail(`find(${render(query)}) resolved ${typed(rowsRead)}, expected rows`);
      return rowsRead as Row[];
    },
  };
}

/** `[extra] fixture`: every seeded row reads back by id (what every case depends on). */
function fixtureReadBack(bench: Bench, rows: () => readonly Row[], key = 'id'): void {
  it(`${EXTRA} fixture: every seeded row reads back`, async () => {
    bench.ready();
    const read = await bench.find({});
    const got = read.map((r) => String(r[key])).sort(byText);
    expectIds(
      got,
      rows().map((r) => String(r[key])),
    );
  });
}

/** One `it` per case, titled by the case's name. */
function eachCase<C extends { readonly name: string }>(
  cases: readonly C[],
  body: (c: C) => Promise<void> | void,
): void {
  it.each(cases.map((c) => [c.name, c] as [string, C]))('%s', async (_name, c) => {
    await body(c);
  });
}

// ---------------------------------------------------------------------------------------
// The object schemas: one per fixture, field types as the fixture docs declare them.
// Nullable columns (FILTER_LOGIC d, AGGREGATION stage/amount, COMPARAND note) stay
// nullable: no field is `required`.
// ---------------------------------------------------------------------------------------

const text = { type: 'text' };
const number = { type: 'number' };
const boolean = { type: 'boolean' };

const schemaOf = (name: string, fields: ObjectSchema['fields']): ObjectSchema => ({
  name,
  label: name,
  fields,
});

const LOGIC_OBJECT = schemaOf('conformance_filter_logic', {
  a: text,
  b: text,
  c: text,
  d: text,
  owner: text,
  status: text,
  parent_object: text,
  parent_id: text,
});
const TEXT_OBJECT = schemaOf('conformance_filter_text', { name: text, score: number });
const COMPARAND_OBJECT = schemaOf('conformance_comparand', {
  qty: number,
  label: text,
  active: boolean,
  note: text,
});
const TICKET_OBJECT = schemaOf('conformance_ticket', { status: text, rank: number, name: text });
const AGG_OBJECT = schemaOf('conformance_agg', {
  region: text,
  stage: text,
  score: number,
  amount: number,
  flag: boolean,
});
const TEMPORAL_OBJECT = schemaOf('conformance_temporal', {
  at: { type: 'datetime' },
  on: { type: 'date' },
  why: text,
});
const TIME_OBJECT = schemaOf('conformance_time', { at: { type: 'time' }, why: text });
/** VALUE_ROUNDTRIP_FIELDS verbatim ("the object the cases are written through"). */
const ROUNDTRIP_OBJECT = schemaOf('conformance_value_roundtrip', {
  ...(VALUE_ROUNDTRIP_FIELDS as unknown as ObjectSchema['fields']),
});

// ---------------------------------------------------------------------------------------
// The suites.
// ---------------------------------------------------------------------------------------

/**
 * Declares every case set, inside `describeFn(label, ...)`, against drivers from
 * `factory`. Each set gets its own temp dir and driver (opened in beforeAll, disconnected
 * and removed in afterAll).
 */
export function defineConformanceSuites(
  label: string,
  factory: DriverFactory,
  describeFn: jest.Describe = describe,
): void {
  describeFn(label, () => {
    describe('FILTER_LOGIC_CASES', () => filterLogic(factory));
    describe('FILTER_TEXT_CASES', () => filterText(factory));
    describe('FILTER_COMPARAND_TYPE_CASES', () => comparandTypes(factory));
    describe('PAGINATION_CASES', () => paginationSorted(factory));
    describe('PAGINATION_UNORDERED_CASES', () => paginationUnordered(factory));
    describe('PAGINATION_ZERO_LIMIT_CASES', () => paginationZeroLimit(factory));
    describe('AGGREGATION_CASES', () => aggregation(factory));
    describe('TEMPORAL_CASES', () => temporal(factory));
    describe('TEMPORAL_TIME_CASES', () => temporalTime(factory));
    describe('VALUE_ROUNDTRIP_CASES', () => valueRoundTrip(factory));
  });
}

/** Seed FILTER_LOGIC_ROWS (d NULL on rows 3-4), `find` each filter, compare ids. */
function filterLogic(factory: DriverFactory): void {
  const rows = () => FILTER_LOGIC_ROWS as unknown as Row[];
  const bench = useBench(factory, LOGIC_OBJECT, rows);
  eachCase(FILTER_LOGIC_CASES, async (c) => {
    bench.ready();
    expectIds(idsOf(await bench.find({ where: c.filter }), 'find'), c.expected);
  });
  fixtureReadBack(bench, rows);
}

/**
 * Row cases compare ids; rejection cases must reject with `code: 'INVALID_FILTER'` and a
 * message naming every `mustMention` fragment (case-sensitive) — "returned no rows" is
 * not a refusal.
 */
function filterText(factory: DriverFactory): void {
  const rows = () => FILTER_TEXT_ROWS as unknown as Row[];
  const bench = useBench(factory, TEXT_OBJECT, rows);
  eachCase(FILTER_TEXT_CASES, async (c) => {
    bench.ready();
    if (c.expectRejection === true) {
      let rowsRead: unknown;
      try {
        rowsRead = await bench.driver.find(bench.object, { object: bench.object, where: c.filter });
      } catch (err) {
        const e = err as Error & { code?: unknown };
        if (e?.code !== c.code) fail(`expected a ${c.code} rejection, got ${describeError(err)}`);
        const missing = c.mustMention.filter((m) => !String(e.message).includes(m));
        if (missing.length > 0) {
          fail(`the ${c.code} message must mention ${missing.map(render).join(', ')}: ${describeError(err)}`);
        }
        return;
      }
      fail(
        `expected a ${c.code} rejection, but find resolved ${
          Array.isArray(rowsRead) ? `ids [${idsOf(rowsRead, 'find').join(', ')}]` : typed(rowsRead)
        }`,
      );
    }
    expectIds(idsOf(await bench.find({ where: c.filter }), 'find'), c.expected);
  });
  fixtureReadBack(bench, rows);
}

/**
 * As the set's doc prescribes: `door-refusal` cases assert `parseFilterAST(filter)` throws
 * the INVALID_FILTER/400 envelope (the door sits upstream of every driver, so these do
 * not reach the driver); `matches`/`compiles` cases hand the door-validated, bigint-
 * narrowed filter to `find` and compare ids / require that it executes.
 */
function comparandTypes(factory: DriverFactory): void {
  const rows = () => FILTER_COMPARAND_TYPE_ROWS as unknown as Row[];
  const bench = useBench(factory, COMPARAND_OBJECT, rows);
  eachCase(FILTER_COMPARAND_TYPE_CASES, async (c) => {
    if (c.verdict === 'door-refusal') {
      let caught: (Error & { code?: unknown; status?: unknown }) | undefined;
      let passed: unknown;
      try {
        passed = parseFilterAST(c.filter());
      } catch (err) {
        caught = err as Error & { code?: unknown; status?: unknown };
      }
      if (!caught) fail(`parseFilterAST let ${render(c.filter())} through as ${render(passed)}`);
      if (caught.code !== c.code || caught.status !== 400) {
        fail(`the door refused with ${describeError(caught)}, expected ${c.code}/400`);
      }
      const missing = c.mustMention.filter((m) => !caught!.message.includes(m));
      if (missing.length > 0) fail(`the refusal must mention ${missing.map(render).join(', ')}`);
      return;
    }
    bench.ready();
    const where = parseFilterAST(c.filter());
    const read = await bench.find({ where }, `find(${render(where)})`);
    if (c.verdict === 'matches') expectIds(idsOf(read, 'find'), c.expected);
  });
  fixtureReadBack(bench, rows);
}

interface Walked {
  ids: string[];
  rows: Row[];
}

/** Reads every page (`limit: pageSize`, `offset` 0, pageSize, ...) of the 12 rows. */
async function walk(
  bench: Bench,
  pageSize: number,
  orderBy?: ReadonlyArray<{ field: string; order: 'asc' | 'desc' }>,
): Promise<Walked> {
  const out: Walked = { ids: [], rows: [] };
  for (let offset = 0; offset < PAGINATION_ROWS.length; offset += pageSize) {
    const query: Row = {
      ...(orderBy ? { orderBy: orderBy.map((o) => ({ ...o })) } : {}),
      limit: pageSize,
      offset,
    };
    const page = await bench.find(query);
    if (page.length > pageSize)
      fail(`page at offset ${offset} has ${page.length} rows, limit was ${pageSize}`);
    out.rows.push(...page);
    out.ids.push(...page.map((r) => String(r.id)));
  }
  return out;
}

/** The spec's property: the pages visit every one of the twelve rows exactly once. */
function expectPartition(w: Walked): void {
  const counts = new Map<string, number>();
  for (const id of w.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const missing = PAGINATION_ALL_IDS.filter((id) => !counts.has(id));
  if (twice.length > 0 || missing.length > 0 || w.ids.length !== PAGINATION_ALL_IDS.length) {
    fail(
      `the pages are not a partition: visited [${w.ids.join(', ')}]` +
        (twice.length ? `; served twice [${twice.join(', ')}]` : '') +
        (missing.length ? `; never served [${missing.join(', ')}]` : ''),
    );
  }
}

const compareKey = (a: unknown, b: unknown): number =>
  typeof a === 'number' && typeof b === 'number' ? a - b : byText(String(a), String(b));

/**
 * PAGINATION_CASES: the walk is a partition (the spec's property), in the caller's key
 * order, with ties ordered by the primary key (the kernel contract: "append the primary
 * key to any orderBy"). The direction is the driver's choice (the reference appends `id`
 * in the direction of the last sort key), but it must be one direction throughout; the
 * fixture's ids are shuffled against insertion order, so ties left in plan order show.
 */
function paginationSorted(factory: DriverFactory): void {
  const rows = () => PAGINATION_ROWS as unknown as Row[];
  const bench = useBench(factory, TICKET_OBJECT, rows);
  eachCase(PAGINATION_CASES, async (c) => {
    bench.ready();
    const w = await walk(bench, c.pageSize, c.orderBy);
    expectPartition(w);
    const show = () =>
      w.rows.map((r) => `${r.id}(${c.orderBy.map((o) => render(r[o.field])).join(',')})`).join(' ');
    // The id steps between tied neighbours: all -1 (ids ascending) or all 1 (descending).
    const tieSteps = new Set<number>();
    for (let i = 1; i < w.rows.length; i++) {
      const [prev, next] = [w.rows[i - 1], w.rows[i]];
      let cmp = 0;
      for (const o of c.orderBy) {
        cmp = compareKey(prev[o.field], next[o.field]) * (o.order === 'desc' ? -1 : 1);
        if (cmp !== 0) break;
      }
      if (cmp > 0) fail(`the walk is not in orderBy ${render(c.orderBy)} order: ${show()}`);
      if (cmp === 0) tieSteps.add(byText(String(prev.id), String(next.id)));
    }
    if (tieSteps.size > 1) {
      fail(
        `ties are not ordered by the primary key (no tie-breaker appended; a partition only by luck): ${show()}`,
      );
    }
  });
  fixtureReadBack(bench, rows);
}

/**
 * PAGINATION_UNORDERED_CASES: `{ limit, offset }` and no orderBy. The walk must be a
 * partition (the spec's property) and, as the kernel contract spells the fix ("order by
 * the primary key alone"), in ascending id order; the fixture's ids are shuffled against
 * insertion order so "did nothing" is visible.
 */
function paginationUnordered(factory: DriverFactory): void {
  const rows = () => PAGINATION_ROWS as unknown as Row[];
  const bench = useBench(factory, TICKET_OBJECT, rows);
  eachCase(PAGINATION_UNORDERED_CASES, async (c) => {
    bench.ready();
    const w = await walk(bench, c.pageSize);
    expectPartition(w);
    const sorted = [...w.ids].sort(byText);
    if (w.ids.some((id, i) => id !== sorted[i])) {
      fail(`a partition, but not in primary-key order: visited [${w.ids.join(', ')}]`);
    }
  });
  fixtureReadBack(bench, rows);
}

/** PAGINATION_ZERO_LIMIT_CASES: `find(object, { ...query })` returns exactly N rows. */
function paginationZeroLimit(factory: DriverFactory): void {
  const rows = () => PAGINATION_ROWS as unknown as Row[];
  const bench = useBench(factory, TICKET_OBJECT, rows);
  eachCase(PAGINATION_ZERO_LIMIT_CASES, async (c) => {
    bench.ready();
    const read = await bench.find({ ...c.query });
    if (read.length !== c.expectedRowCount) {
      fail(`expected ${c.expectedRowCount} rows for ${render(c.query)}, got ${read.length}`);
    }
  });
  fixtureReadBack(bench, rows);
}

/** The harness's alias for the one aggregation of each case. */
const AGG_ALIAS = 'n';

/**
 * `aggregate(object, { object, aggregations: [{ function, field?, alias }], groupBy? })`,
 * `groupBy` as a bare field, or as the structured `{ field, alias }` node when the case
 * has `groupByAlias`; the group value is read from `groupByAlias ?? groupBy`. Values must
 * be JS numbers (booleans aggregate as numbers; an all-NULL group sums to 0).
 */
function aggregation(factory: DriverFactory): void {
  const rows = () => AGGREGATION_ROWS as unknown as Row[];
  const bench = useBench(factory, AGG_OBJECT, rows);
  eachCase(AGGREGATION_CASES, async (c) => {
    bench.ready();
    const query = {
      object: bench.object,
      aggregations: [{ function: c.function, ...(c.field ? { field: c.field } : {}), alias: AGG_ALIAS }],
      ...(c.groupBy
        ? { groupBy: [c.groupByAlias ? { field: c.groupBy, alias: c.groupByAlias } : c.groupBy] }
        : {}),
    };
    const read = await attempt(`aggregate(${render(query)})`, () =>
      bench.driver.aggregate(bench.object, query),
    );
    if (!Array.isArray(read)) fail(`aggregate resolved ${typed(read)}, expected rows`);
    const key = c.groupByAlias ?? c.groupBy;
    const got = (read as Row[])
      .map((r) => ({ group: key ? r[key] : null, value: r[AGG_ALIAS] }))
      .sort((x, y) => byText(String(x.group), String(y.group)));
    const show = (list: ReadonlyArray<{ group: unknown; value: unknown }>) =>
      `[${list.map((e) => `${e.group === null ? '(all)' : render(e.group)} → ${render(e.value)}`).join(', ')}]`;
    const same =
      got.length === c.expected.length &&
      got.every((g, i) => g.group === c.expected[i].group && g.value === c.expected[i].value);
    if (!same) {
      const wrongType = got.find((g) => typeof g.value !== 'number');
      fail(
        `expected ${show(c.expected)}, got ${show(got)}` +
          (wrongType ? ` — ${AGG_ALIAS} read back as ${typed(wrongType.value)}, must be a number` : '') +
          (key && read.length > 0 && !(key in (read as Row[])[0])
            ? ` — no '${key}' key in the rows (keys: ${Object.keys((read as Row[])[0]).join(', ')})`
            : ''),
      );
    }
  });
  fixtureReadBack(bench, rows);
}

/**
 * Seeds each row in its writer form (`native` → a JS `Date`, `wire` → the ISO string;
 * `on` always `YYYY-MM-DD`), `find`s each filter and compares ids; a case with a
 * `tokenFilter` also runs it resolved at TEMPORAL_NOW through `resolveFilterTokens`.
 */
function temporal(factory: DriverFactory): void {
  const rows = (): Row[] =>
    TEMPORAL_ROWS.map((r) => ({
      id: r.id,
      at: r.writerForm === 'native' ? new Date(r.at) : r.at,
      on: r.on,
      why: r.why,
    }));
  const bench = useBench(factory, TEMPORAL_OBJECT, rows);
  eachCase(TEMPORAL_CASES, async (c) => {
    bench.ready();
    expectIds(idsOf(await bench.find({ where: c.filter }), 'find'), c.expected);
    if (c.tokenFilter) {
      const resolved = resolveFilterTokens(c.tokenFilter, { now: new Date(TEMPORAL_NOW) });
      expectIds(
        idsOf(await bench.find({ where: resolved }), 'find'),
        c.expected,
        `via tokens ${render(resolved)}: `,
      );
    }
  });
  fixtureReadBack(bench, rows);
}

/** `native` rows as `new Date('1970-01-01T<at>Z')`, `wire` rows as canonical text. */
function temporalTime(factory: DriverFactory): void {
  const rows = (): Row[] =>
    TEMPORAL_TIME_ROWS.map((r) => ({
      id: r.id,
      at: r.writerForm === 'native' ? new Date(`1970-01-01T${r.at}Z`) : r.at,
      why: r.why,
    }));
  const bench = useBench(factory, TIME_OBJECT, rows);
  eachCase(TEMPORAL_TIME_CASES, async (c) => {
    bench.ready();
    expectIds(idsOf(await bench.find({ where: c.filter }), 'find'), c.expected);
  });
  fixtureReadBack(bench, rows);
}

/**
 * VALUE_ROUNDTRIP_ROWS through `create`, each read back with `find({ where: { label } })`;
 * the type first, then the value (`valueRoundTripDivergence`, then `toStrictEqual`).
 */
function valueRoundTrip(factory: DriverFactory): void {
  const rows = () => VALUE_ROUNDTRIP_ROWS as unknown as Row[];
  const bench = useBench(factory, ROUNDTRIP_OBJECT, rows);
  const caseOf = (name: string) => VALUE_ROUNDTRIP_CASES.find((c) => c.name === name)!;
  eachCase(VALUE_ROUNDTRIP_CASES, async (c) => {
    bench.ready([c.name]);
    const read = await bench.find({ where: { label: c.name } });
    if (read.length !== 1)
      fail(`find({ label: ${render(c.name)} }) returned ${read.length} rows, expected 1`);
    const value = read[0][c.column];
    const divergence = valueRoundTripDivergence(c, value);
    if (divergence !== null || typeof value !== typeof c.wrote) {
      fail(
        `wrote ${typed(c.wrote)}, read ${typed(value)}${c.column in read[0] ? '' : ` (no '${c.column}' key)`}`,
      );
    }
    expect(value).toStrictEqual(c.wrote);
  });
  it(`${EXTRA} collision pairs: a string and the native value it looks like stay distinguishable`, async () => {
    bench.ready();
    const read = await bench.find({});
    const byLabel = new Map(read.map((r) => [r.label, r]));
    const collided: string[] = [];
    for (const [strName, nativeName] of VALUE_ROUNDTRIP_COLLISION_PAIRS) {
      const s = byLabel.get(strName)?.[caseOf(strName).column];
      const n = byLabel.get(nativeName)?.[caseOf(nativeName).column];
      if (typeof s !== 'string' || (typeof s === typeof n && JSON.stringify(s) === JSON.stringify(n))) {
        collided.push(`${strName}=${typed(s)} vs ${nativeName}=${typed(n)}`);
      }
    }
    if (collided.length > 0) fail(`pairs read back indistinguishable: ${collided.join('; ')}`);
  });
  fixtureReadBack(bench, rows, 'label');
}
