'use strict';

// `npm run bench`: the same workload against
//   native          this package (@objectql/driver-turso, Rust + napi-rs)
//   objectstack     @objectstack/driver-turso 17.4.0, the kernel's TypeScript driver
//   libsql          raw @libsql/client
//   better-sqlite3  raw better-sqlite3
// each on `:memory:`, on a WAL file in a fresh temp dir, on a libSQL server (a real sqld on
// 127.0.0.1, fresh for each run; not better-sqlite3) and on an embedded replica of one,
// each run in its own child process (peak RSS per driver), interleaved round by round;
// best of BENCH_ROUNDS.
//
// Env: BENCH_DRIVERS=native,objectstack,libsql,better-sqlite3  BENCH_DBS=memory,wal,remote,replica
//      BENCH_ROUNDS=1  BENCH_SCALE=1 (multiplies every op count; 0.02 for a smoke run)
//      BENCH_SYNCHRONOUS=normal|full (unset: each driver keeps its own default; see the notes)
//      BENCH_NATIVE_PATH=<dir> (bench another build of this package; default: this checkout)
//      BENCH_BETTER_SQLITE3_BINDING=<better_sqlite3.node> (only if better-sqlite3 is unbuilt)
// Exits 0 whether or not the targets are met; non-zero if any driver throws.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { fork } = require('child_process');
const { DRIVERS, LABELS } = require('./adapters');
const W = require('./workload');
const R = require('./report');
const { ensureSqld, startSqld } = require('../scripts/sqld');

const WORKER = path.join(__dirname, 'worker.js');
const RESULTS = path.join(__dirname, 'results.md');
const KINDS = ['memory', 'wal', 'remote', 'replica'];
/** better-sqlite3 has no client for a libSQL server (nor replicas of one). */
const REMOTE_DRIVERS = ['native', 'objectstack', 'libsql'];
/**
 * The kernel's TypeScript driver cannot open a replica here: its local (knex) side creates
 * the file first, and libSQL then refuses to sync it ("Can not sync a database without a
 * wal_index").
 */
const REPLICA_DRIVERS = ['native', 'libsql'];
/**
 * The server and replica columns run a tenth of the workload (BENCH_REMOTE_SCALE): every
 * call (every write, on a replica) is a round trip, and the kernel's TypeScript driver
 * inserts ~200 rows/s there.
 */
const REMOTE_SCALE = W.envNumber('BENCH_REMOTE_SCALE', 0.1);

function list(name, known) {
  const raw = process.env[name];
  if (!raw) return known.slice();
  const picked = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = picked.filter((p) => !known.includes(p));
  if (bad.length || picked.length === 0) {
    throw new Error(`${name}=${raw}: unknown ${bad.join(', ') || '(empty)'}; choose from ${known.join(',')}`);
  }
  return [...new Set(picked)];
}

const tempDirs = new Set();
function removeTempDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(130));
}

async function runChild(driver, kind) {
  let dir;
  let server;
  const args = [driver, kind];
  if (kind === 'wal' || kind === 'replica') {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'objectql-bench-'));
    tempDirs.add(dir);
    args.push(path.join(dir, 'bench.db'));
  }
  let env = process.env;
  if (kind === 'remote' || kind === 'replica') {
    server = await startSqld();
    args.push(server.url);
    env = { ...env, BENCH_SCALE: String(W.envNumber('BENCH_SCALE', 1) * REMOTE_SCALE) };
  }
  try {
    return await fork1(args, env, () => dir && removeTempDir(dir));
  } finally {
    if (server) await server.dispose();
  }
}

function fork1(args, env, cleanUp) {
  const execArgv = process.execArgv.includes('--expose-gc')
    ? process.execArgv
    : [...process.execArgv, '--expose-gc'];
  return new Promise((resolve) => {
    let message;
    const child = fork(WORKER, args, { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => (message = m));
    child.on('error', (error) => (message = message || { ok: false, error: error.stack }));
    child.on('exit', (code, signal) => {
      cleanUp();
      if (message && message.ok && code === 0) resolve({ ok: true, result: message.result });
      else {
        const why = (message && message.error) || `worker exited with ${signal || `code ${code}`}`;
        resolve({ ok: false, error: why });
      }
    });
  });
}

function progress(run, ms) {
  const where = { memory: ':memory:', wal: 'WAL file', remote: 'sqld', replica: 'replica' }[run.kind];
  const head = `  ${where.padEnd(8)} ${run.driver.padEnd(14)}`;
  if (!run.ok) return `${head} FAILED: ${run.error.split('\n')[0]}`;
  const p = run.result.phases;
  const rate = (phase) => R.fmtRate(p[phase].ops / (p[phase].ms / 1000));
  return (
    `${head} bulk ${rate('bulk')}/s, create ${rate('create')}, findOne ${rate('findOne')}, ` +
    `update ${rate('update')}, delete ${rate('delete')}, find ${rate('find')}, ` +
    `RSS ${R.fmtMB(run.result.maxRssKB / 1024)} MB (${(ms / 1000).toFixed(1)}s)`
  );
}

function notes(best, drivers, kinds, c) {
  const out = [];
  if (drivers.includes('objectstack')) {
    const chunks = Math.ceil(c.bulk / W.KERNEL_BULK_CHUNK);
    out.push(
      'objectstack bulk insert: its `bulkCreate()` is one knex `INSERT ... SELECT ... UNION ALL`, which fails ' +
        "above 500 rows on SQLite's compound-SELECT limit, so it runs as " +
        `${chunks} x \`bulkCreate(500 rows)\` inside one driver transaction. Every other driver: one call or one transaction.`,
    );
  }
  const SYNC = { 0: 'OFF', 1: 'NORMAL', 2: 'FULL', 3: 'EXTRA' };
  const forced = process.env.BENCH_SYNCHRONOUS;
  for (const kind of kinds) {
    const ran = drivers.filter((d) => best[kind] && best[kind][d]);
    const syncs = new Set(ran.map((d) => best[kind][d].pragmas.synchronous));
    const cfg = ran.map((d) => {
      const p = best[kind][d].pragmas;
      return `${d} ${p.journal_mode}/${SYNC[p.synchronous] || p.synchronous}`;
    });
    for (const d of ran) {
      const file = best[kind][d].pragmas.file;
      if (kind === 'memory' && file) {
        out.push(`${d} hosts \`:memory:\` in a file under ${path.dirname(file)} (\`PRAGMA database_list\`).`);
      }
    }
    if (cfg.length) {
      out.push(
        `${R.KIND_TITLES[kind]}: journal_mode/synchronous ` +
          `${forced ? `with BENCH_SYNCHRONOUS=${forced}` : 'as each driver left them'}: ${cfg.join(', ')}.` +
          (kind === 'wal' && syncs.size > 1
            ? ' The durability settings differ, which shows in the per-op write rates (FULL syncs the WAL on every ' +
              'commit; better-sqlite3 builds SQLite with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1); ' +
              'BENCH_SYNCHRONOUS=normal or =full runs every driver alike.'
            : ''),
      );
    }
  }
  const base = ['id', 'title', 'n', 'score', 'done', 'meta', 'at'];
  for (const d of drivers) {
    const b = kinds.map((k) => best[k] && best[k][d]).find(Boolean);
    const extra = b ? b.columns.filter((col) => !base.includes(col)) : [];
    if (extra.length)
      out.push(`${d} adds columns to the table: ${extra.join(', ')} (stamped on every write).`);
  }
  out.push(
    'Checked for every run after the timed phases: same row count, rows stored as ' +
      'text/text/integer/real/integer(0/1)/JSON text/ISO text, read-backs equal what was written, ' +
      'deleted rows gone, finds filtered and sorted.',
  );
  return out;
}

async function main() {
  const drivers = list('BENCH_DRIVERS', DRIVERS);
  const kinds = list('BENCH_DBS', KINDS);
  if (kinds.includes('remote') || kinds.includes('replica')) ensureSqld();
  const rounds = Math.round(W.envNumber('BENCH_ROUNDS', 1));
  const scale = W.envNumber('BENCH_SCALE', 1);
  const c = W.counts(scale);
  const loadAtStart = os.loadavg().map((x) => x.toFixed(2));

  console.log(
    `ObjectQL driver bench: ${drivers.join(', ')} on ${kinds.join(', ')}; ${rounds} round(s), scale ${scale} ` +
      `(bulk ${R.fmtRate(c.bulk)} rows; ${R.fmtRate(c.op)} each of create/findOne/update/delete; ${R.fmtRate(c.find)} finds)`,
  );

  const runs = [];
  for (let round = 1; round <= rounds; round++) {
    console.log(`round ${round}/${rounds}`);
    for (const kind of kinds) {
      for (const driver of drivers) {
        if (kind === 'remote' && !REMOTE_DRIVERS.includes(driver)) continue;
        if (kind === 'replica' && !REPLICA_DRIVERS.includes(driver)) continue;
        const t0 = Date.now();
        const run = { round, kind, driver, ...(await runChild(driver, kind)) };
        runs.push(run);
        console.log(progress(run, Date.now() - t0));
      }
    }
  }

  const best = R.summarize(runs);
  const targets = R.checkTargets(best, kinds);
  const failures = runs.filter((r) => !r.ok);

  const md = [
    '# @objectql/driver-turso benchmark',
    '',
    `Generated by \`npm run bench\` on ${new Date().toISOString()}: Node ${process.version}, ` +
      `${os.cpus()[0].model} x ${os.cpus().length}, ${os.platform()} ${os.release()}; load average ${loadAtStart.join(' ')} at start.`,
    '',
    `Workload per driver and database: create the table; bulk insert ${R.fmtRate(c.bulk)} rows; then ` +
      `${R.fmtRate(c.op)} each of create, findOne, update, delete, awaited one at a time on distinct ids; ` +
      `${R.fmtRate(c.find)} finds (\`n > k\` with varying k, \`ORDER BY score DESC LIMIT 50\`, no index). ` +
      `Scale ${scale}, best of ${rounds} round(s) per phase, each run in its own process (drivers interleaved). ` +
      `The libSQL server and replica columns run ${REMOTE_SCALE} of it (BENCH_REMOTE_SCALE) against a fresh sqld ` +
      'per run; the replica column leaves out the kernel TypeScript driver, whose replica mode does not open here ' +
      '("Can not sync a database without a wal_index").',
    '',
    'Drivers:',
    '',
    ...drivers.map((d) => `- \`${d}\`: ${LABELS[d]}`),
    '',
    `Ratio columns: ${R.SUBJECT}/other for speed (higher is better for ${R.SUBJECT}), other/${R.SUBJECT} for peak RSS.`,
    '',
  ];
  for (const kind of kinds) {
    md.push(`## ${R.KIND_TITLES[kind]}`, '', R.table(best, kind, drivers), '');
  }
  md.push('## Targets', '', '```', ...targets.map((t) => `${t.status} ${t.text}`), '```', '');
  md.push('## Notes', '', ...notes(best, drivers, kinds, c).map((n) => `- ${n}`), '');
  if (failures.length) {
    md.push('## Failed runs', '');
    for (const f of failures)
      md.push(`- round ${f.round}, ${f.kind}, ${f.driver}: ${f.error.split('\n')[0]}`);
    md.push('');
  }
  const formatted = await R.prettify(md.join('\n'));
  fs.writeFileSync(RESULTS, formatted);

  console.log('');
  for (const kind of kinds) {
    const tableMd = await R.prettify(R.table(best, kind, drivers));
    console.log(`${R.KIND_TITLES[kind]}\n\n${tableMd}`);
  }
  console.log('Targets:');
  for (const t of targets) console.log(`${t.status} ${t.text}`);
  console.log(`\n(written to ${path.relative(process.cwd(), RESULTS) || RESULTS})`);

  if (failures.length) {
    console.error(`\n${failures.length} run(s) failed:`);
    for (const f of failures) console.error(`\n[round ${f.round}, ${f.kind}, ${f.driver}]\n${f.error}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exitCode = 1;
});
