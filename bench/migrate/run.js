'use strict';

// `npm run bench:migrate`: safe migrations at the sizes the issue names, on temp files.
//
//   plan      planMigration of 200 objects x 30 fields against their live schema: in sync,
//             and with 20 objects changed (a type change and a new field each); median of 7
//   rebuild   a type change on a table of BENCH_ROWS rows (an index, a child table): rows/s,
//             and the peak RSS of the process (VmHWM) before and after, at two sizes, each
//             in a process of its own: flat means the copy streams
//   fleet     migrateTenants over BENCH_FLEET tenant files (100 rows each): tenants/s, and
//             the re-run that finds them all up to date
//
// Env: BENCH_ROWS=1000000  BENCH_FLEET=1000  BENCH_NATIVE_PATH=<dir>

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { envNumber } = require('../workload');

const ROOT = path.resolve(process.env.BENCH_NATIVE_PATH || path.join(__dirname, '..', '..'));
const pkg = require(ROOT);
const { TursoDriver } = pkg;

const ROWS = Math.round(envNumber('BENCH_ROWS', 1_000_000));
const FLEET = Math.round(envNumber('BENCH_FLEET', 1000));
const TYPES = ['text', 'integer', 'float', 'boolean', 'date', 'datetime'];

function tmp(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bench-migrate-${tag}-`));
}

function peakRssMb() {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** 200 objects x 30 fields; `changed` of them with a type change and a new field. */
function objects(changed) {
  return Array.from({ length: 200 }, (_, o) => {
    const fields = {};
    for (let f = 0; f < 30; f++) fields[`f${f}`] = { type: TYPES[(o + f) % TYPES.length] };
    if (o < changed) {
      fields.f0 = { type: fields.f0.type === 'integer' ? 'text' : 'integer' };
      fields.extra = { type: 'text' };
    }
    return { name: `obj_${o}`, fields, indexes: [{ fields: ['f1'] }] };
  });
}

async function planBench() {
  const dir = tmp('plan');
  const driver = new TursoDriver({ url: `file:${path.join(dir, 'app.db')}` });
  try {
    await driver.init(objects(0));
    const timed = async (desired) => {
      const runs = [];
      let plan;
      for (let i = 0; i < 7; i++) {
        const t0 = process.hrtime.bigint();
        plan = await driver.planMigration(desired);
        runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return { ms: median(runs), actions: plan.actions.length, statements: plan.statements.length };
    };
    return { inSync: await timed(objects(0)), changed: await timed(objects(20)) };
  } finally {
    await driver.disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const TASK = (priority) => [
  { name: 'task', fields: { title: { type: 'text' }, priority: { type: priority } } },
];

/** In a process of its own: one rebuild of `rows` rows. */
async function rebuildChild(rows) {
  const dir = tmp('rebuild');
  const driver = new TursoDriver({ url: `file:${path.join(dir, 'big.db')}` });
  try {
    await driver.init(TASK('text'));
    await driver.execute(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
       INSERT INTO task (id, title, priority) SELECT 't' || i, 'task number ' || i, CAST(i % 100 AS TEXT) FROM n`,
    );
    await driver.execute('CREATE INDEX task_priority ON task (priority)');
    await driver.execute('CREATE TABLE note (id TEXT PRIMARY KEY, task_id TEXT REFERENCES task(id))');
    await driver.execute(`INSERT INTO note SELECT 'n' || id, id FROM task WHERE rowid % 100 = 0`);
    const plan = await driver.planMigration(TASK('integer'), { protectedTables: ['note'] });
    const before = peakRssMb();
    const t0 = process.hrtime.bigint();
    await driver.applyMigrationPlan(plan);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = peakRssMb();
    const check = (await driver.execute(`SELECT count(*) AS n FROM task WHERE typeof(priority) = 'integer'`))
      .rows[0].n;
    if (check !== rows) throw new Error(`rebuild kept ${check} of ${rows} rows`);
    process.stdout.write(JSON.stringify({ rows, seconds, before, after }));
  } finally {
    await driver.disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function rebuildBench(rows) {
  const out = execFileSync(process.execPath, [__filename, '--rebuild', String(rows)], {
    env: process.env,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(String(out));
}

async function fleetBench() {
  if (typeof pkg.migrateTenants !== 'function') return undefined;
  const dir = tmp('fleet');
  try {
    const seed = new TursoDriver({ url: `file:${path.join(dir, 'seed.db')}` });
    await seed.init(TASK('text'));
    await seed.execute(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
       INSERT INTO task (id, title, priority) SELECT 't' || i, 'task ' || i, CAST(i AS TEXT) FROM n`,
    );
    await seed.disconnect();
    const tenants = Array.from({ length: FLEET }, (_, i) => `t${i}`);
    for (const t of tenants) fs.copyFileSync(path.join(dir, 'seed.db'), path.join(dir, `${t}.db`));
    const driverFor = (t) => new TursoDriver({ url: `file:${path.join(dir, `${t}.db`)}` });
    const run = async () => {
      const t0 = process.hrtime.bigint();
      const summary = await pkg.migrateTenants({ objects: TASK('integer'), tenants, driverFor });
      return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, summary };
    };
    const first = await run();
    const again = await run();
    return { first, again };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const plan = await planBench();
  const small = rebuildBench(Math.max(1, Math.round(ROWS / 4)));
  const big = rebuildBench(ROWS);
  const fleet = await fleetBench();
  const mb = (n) => `${n.toFixed(0)} MB`;
  const lines = [
    `migrate bench: Node ${process.version}, ${os.cpus()[0].model} x ${os.cpus().length}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    '',
    '| measure | value | target |',
    '| --- | ---: | --- |',
    `| planMigration, 200 objects x 30 fields, in sync | ${plan.inSync.ms.toFixed(1)} ms | ≤ 50 ms |`,
    `| planMigration, 200 objects x 30 fields, 20 changed (${plan.changed.actions} actions, ${plan.changed.statements} statements) | ${plan.changed.ms.toFixed(1)} ms | ≤ 50 ms |`,
  ];
  for (const r of [small, big]) {
    lines.push(
      `| rebuild (type change) of ${r.rows.toLocaleString('en')} rows | ${r.seconds.toFixed(2)} s, ${Math.round(
        r.rows / r.seconds,
      ).toLocaleString('en')} rows/s | |`,
      `| peak RSS during it, ${r.rows.toLocaleString('en')} rows | +${mb(r.after - r.before)} (${mb(r.before)} → ${mb(r.after)}) | flat: not growing with the rows |`,
    );
  }
  if (fleet) {
    const s = fleet.first.summary;
    lines.push(
      `| migrateTenants, ${FLEET} tenant files (100 rows each) | ${fleet.first.seconds.toFixed(2)} s, ${Math.round(
        FLEET / fleet.first.seconds,
      )} tenants/s (migrated ${s.migrated}, failed ${s.failed.length ?? s.failed}) | |`,
      `| the same run again (all up to date) | ${fleet.again.seconds.toFixed(2)} s (up to date ${fleet.again.summary.upToDate}) | |`,
    );
  } else {
    lines.push('| migrateTenants | (not in this build) | |');
  }
  console.log(lines.join('\n'));
}

if (process.argv[2] === '--rebuild') {
  rebuildChild(Number(process.argv[3])).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
