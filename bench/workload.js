'use strict';

// The workload every driver runs: the data, the op counts and the timed phases.
// Shared by the worker (which runs it) and run.js (which reports the counts).

const OBJECT = 'bench_item';

/** The ObjectQL schema the drivers get; the raw drivers get the equivalent DDL below. */
const SCHEMA = {
  name: OBJECT,
  fields: {
    title: { type: 'text' },
    n: { type: 'integer' },
    score: { type: 'float' },
    done: { type: 'boolean' },
    meta: { type: 'json' },
    at: { type: 'datetime' },
  },
};

const CREATE_TABLE_SQL =
  `CREATE TABLE ${OBJECT} (id TEXT PRIMARY KEY, title TEXT, n INTEGER, ` +
  'score REAL, done INTEGER, meta TEXT, at TEXT)';

const FIND_SQL = `SELECT * FROM ${OBJECT} WHERE n > ? ORDER BY score DESC LIMIT 50`;

const PHASES = ['bulk', 'create', 'findOne', 'update', 'delete', 'find'];

// @objectstack/driver-turso's bulkCreate() is one knex `INSERT ... SELECT ... UNION ALL`, and
// SQLite refuses more than 500 terms in a compound SELECT, so that adapter calls it per 500 rows.
const KERNEL_BULK_CHUNK = 500;

const BASE = { bulk: 50000, op: 5000, find: 2000 };

function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Op counts for a scale factor (BENCH_SCALE). */
function counts(scale) {
  const of = (n) => Math.max(1, Math.round(n * scale));
  const c = { bulk: of(BASE.bulk), op: of(BASE.op), find: of(BASE.find) };
  // findOne/update/delete hit disjoint existing rows: ids i*stride, i*stride+1, i*stride+2.
  c.stride = Math.floor(c.bulk / c.op);
  if (c.stride < 3) throw new Error(`BENCH_SCALE=${scale} leaves too few rows per op`);
  return c;
}

const BASE_AT = Date.UTC(2024, 0, 1);
const TAGS = ['alpha', 'beta', 'gamma', 'delta'];

/** A fixed scramble of `i`: the bench's values look random and stay the same every run. */
function hash(i) {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function rowId(i) {
  return `r${i}`;
}

/** Row number `i` (without id): the same values for every driver. */
function makeRow(i) {
  return {
    title: `item ${i}`,
    n: (i * 7919) % 100000,
    score: (hash(i) % 10000000) / 1000 + 0.25,
    done: i % 3 === 0,
    meta: { i, tag: TAGS[i % 4], tags: TAGS.slice(0, (i % 4) + 1), nested: { even: i % 2 === 0 } },
    at: new Date(BASE_AT + i * 1000).toISOString(),
  };
}

function makeUpdate(i) {
  const row = makeRow(i);
  return {
    title: `updated ${i}`,
    score: row.score + 1000,
    done: !row.done,
    meta: { ...row.meta, updated: true },
  };
}

/** Everything the timed phases consume, built before the clock starts. */
function buildData(c) {
  const bulkRows = new Array(c.bulk);
  for (let i = 0; i < c.bulk; i++) bulkRows[i] = { id: rowId(i), ...makeRow(i) };
  const createRows = new Array(c.op);
  const findOneIds = new Array(c.op);
  const updates = new Array(c.op);
  const deleteIds = new Array(c.op);
  for (let i = 0; i < c.op; i++) {
    createRows[i] = makeRow(c.bulk + i);
    findOneIds[i] = rowId(i * c.stride);
    updates[i] = { index: i * c.stride + 1, id: rowId(i * c.stride + 1), data: makeUpdate(i * c.stride + 1) };
    deleteIds[i] = rowId(i * c.stride + 2);
  }
  const findKs = new Array(c.find);
  for (let j = 0; j < c.find; j++) findKs[j] = (j * 4801) % 90000;
  return { bulkRows, createRows, findOneIds, updates, deleteIds, findKs };
}

function gc() {
  if (typeof global.gc === 'function') global.gc();
}

/** Runs the timed phases; returns { phase: { ops, ms } }. Throws on any failed op. */
async function runPhases(adapter, data) {
  const out = {};
  const time = async (phase, ops, fn) => {
    gc();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    out[phase] = { ops, ms };
  };

  await time('bulk', data.bulkRows.length, () => adapter.bulkInsert(data.bulkRows));

  await time('create', data.createRows.length, async () => {
    const rows = data.createRows;
    for (let i = 0; i < rows.length; i++) {
      const id = await adapter.create(rows[i]);
      if (id === undefined || id === null) throw new Error(`create #${i} returned no id`);
    }
  });

  await time('findOne', data.findOneIds.length, async () => {
    const ids = data.findOneIds;
    for (let i = 0; i < ids.length; i++) {
      const row = await adapter.findOne(ids[i]);
      if (!row) throw new Error(`findOne(${ids[i]}) found nothing`);
    }
  });

  await time('update', data.updates.length, async () => {
    const ups = data.updates;
    for (let i = 0; i < ups.length; i++) {
      const ok = await adapter.update(ups[i].id, ups[i].data);
      if (!ok) throw new Error(`update(${ups[i].id}) updated nothing`);
    }
  });

  await time('delete', data.deleteIds.length, async () => {
    const ids = data.deleteIds;
    for (let i = 0; i < ids.length; i++) {
      const ok = await adapter.remove(ids[i]);
      if (!ok) throw new Error(`delete(${ids[i]}) deleted nothing`);
    }
  });

  await time('find', data.findKs.length, async () => {
    const ks = data.findKs;
    for (let j = 0; j < ks.length; j++) {
      const rows = await adapter.find(ks[j]);
      if (!Array.isArray(rows)) throw new Error(`find(n > ${ks[j]}) did not return an array`);
    }
  });

  gc();
  return out;
}

/**
 * The url a driver is given: `:memory:`, the WAL run's or the replica's file, or
 * (`remote`) the libSQL server run.js started for this run, whose url arrives where the
 * file would. A replica's primary comes as `syncUrl`.
 */
function urlOf(kind, where) {
  if (kind === 'memory') return ':memory:';
  return kind === 'remote' ? where : `file:${where}`;
}

module.exports = {
  urlOf,
  OBJECT,
  SCHEMA,
  CREATE_TABLE_SQL,
  FIND_SQL,
  PHASES,
  KERNEL_BULK_CHUNK,
  BASE,
  envNumber,
  hash,
  counts,
  rowId,
  makeRow,
  makeUpdate,
  buildData,
  runPhases,
};
