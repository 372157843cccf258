'use strict';

// One driver on one database, in its own process (forked by run.js), so that peak RSS is
// this driver's alone. Usage:
//   node worker.js <driver> <memory|wal|remote|replica> [<db file>|<server url>] [<primary url>]
// Reports { phases, maxRssKB, pragmas, columns } to the parent over IPC.

const { report } = require('./child');
const { isDeepStrictEqual } = require('util');
const adapters = require('./adapters');
const W = require('./workload');

function asBool(v) {
  if (v === true || v === 1 || v === 1n) return true;
  if (v === false || v === 0 || v === 0n) return false;
  throw new Error(`not a boolean: ${JSON.stringify(v)}`);
}

function asJson(v) {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

function asText(v) {
  return v instanceof Date ? v.toISOString() : v;
}

function check(cond, what) {
  if (!cond) throw new Error(`data check failed: ${what}`);
}

/** The decoded row as the workload wrote it (JSON parsed, booleans as booleans). */
function sameRow(got, want, label) {
  check(got, `${label} not found`);
  const norm = {
    title: got.title,
    n: Number(got.n),
    score: Number(got.score),
    done: asBool(got.done),
    meta: asJson(got.meta),
    at: asText(got.at),
  };
  check(
    isDeepStrictEqual(norm, want),
    `${label} reads back as ${JSON.stringify(norm)}, wrote ${JSON.stringify(want)}`,
  );
}

/** What SQLite holds for a row: the same storage classes for every driver. */
async function storedAs(adapter, id, want, label) {
  const [row] = await adapter.sql(
    `SELECT typeof(id) AS t_id, typeof(title) AS t_title, typeof(n) AS t_n, typeof(score) AS t_score,
            typeof(done) AS t_done, typeof(meta) AS t_meta, typeof(at) AS t_at,
            done, meta, at FROM ${W.OBJECT} WHERE id = ?`,
    [id],
  );
  check(row, `${label} (${id}) is not in the table`);
  const types = [row.t_id, row.t_title, row.t_n, row.t_score, row.t_done, row.t_meta, row.t_at].join(',');
  check(
    types === 'text,text,integer,real,integer,text,text',
    `${label} stored as ${types} (want text,text,integer,real,integer,text,text)`,
  );
  check(Number(row.done) === (want.done ? 1 : 0), `${label} done stored as ${row.done}`);
  check(isDeepStrictEqual(JSON.parse(row.meta), want.meta), `${label} meta stored as ${row.meta}`);
  check(row.at === want.at, `${label} at stored as ${row.at} (wrote ${want.at})`);
}

async function one(adapter, text, params) {
  const [row] = await adapter.sql(text, params);
  return Number(Object.values(row)[0]);
}

async function verify(adapter, data, c) {
  const first = W.makeRow(0);
  await storedAs(adapter, W.rowId(0), first, 'bulk row 0');
  sameRow(await adapter.findOne(W.rowId(0)), first, 'findOne(bulk row 0)');

  const up = data.updates[0];
  const upWant = { ...W.makeRow(up.index), ...up.data };
  await storedAs(adapter, up.id, upWant, 'updated row');
  sameRow(await adapter.findOne(up.id), upWant, `findOne(updated ${up.id})`);

  check(!(await adapter.findOne(data.deleteIds[0])), `deleted ${data.deleteIds[0]} still found`);

  const total = await one(adapter, `SELECT count(*) AS c FROM ${W.OBJECT}`);
  check(total === c.bulk, `table holds ${total} rows, want ${c.bulk} (bulk - deletes + creates)`);
  const odd = await one(
    adapter,
    `SELECT count(*) AS c FROM ${W.OBJECT} WHERE done NOT IN (0, 1) OR typeof(meta) <> 'text'
       OR NOT json_valid(meta) OR typeof(at) <> 'text' OR typeof(score) <> 'real'`,
  );
  check(odd === 0, `${odd} rows with non-0/1 done, non-text meta/at or non-real score`);

  const k = data.findKs[1 % data.findKs.length];
  const rows = await adapter.find(k);
  const matching = await one(adapter, `SELECT count(*) AS c FROM ${W.OBJECT} WHERE n > ?`, [k]);
  check(rows.length === Math.min(50, matching), `find(n > ${k}) gave ${rows.length} rows of ${matching}`);
  for (let i = 0; i < rows.length; i++) {
    check(Number(rows[i].n) > k, `find(n > ${k}) returned n = ${rows[i].n}`);
    if (i > 0)
      check(Number(rows[i - 1].score) >= Number(rows[i].score), `find(n > ${k}) not sorted by score desc`);
  }
}

async function pragma(adapter, name) {
  const [row] = await adapter.sql(`PRAGMA ${name}`);
  return row ? String(Object.values(row)[0]) : 'unknown';
}

async function main() {
  const [driver, kind, file, syncUrl] = process.argv.slice(2);
  if (!['memory', 'wal', 'remote', 'replica'].includes(kind)) {
    throw new Error(`db kind must be memory, wal, remote or replica, got ${kind}`);
  }
  if (kind === 'replica' && !syncUrl) throw new Error('a replica run needs its primary url');
  if (kind !== 'memory' && !file) throw new Error(`a ${kind} run needs a db file path or server url`);
  const c = W.counts(W.envNumber('BENCH_SCALE', 1));
  const data = W.buildData(c);

  const adapter = await adapters.load(driver).open({ kind, file, syncUrl });
  let closed = false;
  try {
    const synchronous = process.env.BENCH_SYNCHRONOUS;
    if (synchronous) {
      if (!/^(off|normal|full|extra|[0-3])$/i.test(synchronous)) {
        throw new Error(`BENCH_SYNCHRONOUS must be off, normal, full or extra, got ${synchronous}`);
      }
      await adapter.sql(`PRAGMA synchronous = ${synchronous}`);
    }
    await adapter.createTable();
    const pragmas = {
      journal_mode: await pragma(adapter, 'journal_mode'),
      synchronous: await pragma(adapter, 'synchronous'),
      file: ((await adapter.sql('PRAGMA database_list')).find((db) => db.name === 'main') || {}).file || '',
    };
    // A `:memory:` run only promises the driver was handed `:memory:`; how it hosts that is its own
    // business (the notes report the mode). A WAL run must really be in WAL.
    if (kind === 'wal')
      check(pragmas.journal_mode === 'wal', `journal_mode is ${pragmas.journal_mode}, want wal`);
    const columns = (await adapter.sql(`PRAGMA table_info(${W.OBJECT})`)).map((col) => col.name);

    const phases = await W.runPhases(adapter, data);
    await verify(adapter, data, c);
    closed = true;
    await adapter.close();
    return { driver, kind, counts: c, phases, pragmas, columns, maxRssKB: process.resourceUsage().maxRSS };
  } finally {
    // Let the driver clean up (e.g. temp files) even when a phase or check threw.
    if (!closed) await adapter.close().catch(() => {});
  }
}

report(main);
