'use strict';

// `npm run bench:kernel`: one app through the ObjectStack kernel (`ql = kernel.getService(
// 'objectql')`) on this package's native driver and on the kernel's own TypeScript Turso
// driver; each run in its own process, drivers interleaved round by round, best of
// BENCH_ROUNDS per phase (the conventions of bench/run.js).
//
//   npm run bench:kernel                      native vs typescript, ops/s, ratios, targets
//   npm run bench:kernel -- --tenancy-cost    native with vs without a tenant in the context
//   npm run bench:kernel -- --tenants       native on one database vs one database per
//                                             tenant (the multi-tenant plugin, a cached tenant)
//   npm run bench:kernel -- --profile         native's phases under the CPU profiler: the
//                                             driver's share of a kernel call
//
// Env: BENCH_ROUNDS=3  BENCH_DBS=memory,wal[,remote]  BENCH_DRIVERS=native,typescript
//      BENCH_TENANT=1 (0: calls carry no execution context)  BENCH_OPS=2000 (per phase)
//      BENCH_WARMUP=200  BENCH_NATIVE_PATH=<dir>  BENCH_BETTER_SQLITE3_BINDING=<file>
// Exits 0 whether or not the targets are met; non-zero if any run throws.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { fork } = require('child_process');
const { DRIVERS, LABELS } = require('./drivers');
const { PHASES } = require('./phases');
const R = require('./report');
const { prettify, fmtRate } = require('../report');
const { envNumber } = require('../workload');
const { ensureSqld, startSqld } = require('../../scripts/sqld');

const WORKER = path.join(__dirname, 'worker.js');
const KINDS = ['memory', 'wal'];
/** Opt-in (BENCH_DBS=remote): the app on a libSQL server, a fresh sqld per run. */
const ALL_KINDS = [...KINDS, 'remote'];
const MODES = { '--tenancy-cost': 'tenancy-cost', '--profile': 'profile', '--tenants': 'tenants' };

function list(name, known) {
  const raw = process.env[name];
  if (!raw) return known.slice();
  const picked = [...new Set(raw.split(',').map((s) => s.trim()))].filter(Boolean);
  const bad = picked.filter((p) => !known.includes(p));
  if (bad.length || picked.length === 0) {
    throw new Error(`${name}=${raw}: unknown ${bad.join(', ') || '(empty)'}; choose from ${known.join(',')}`);
  }
  return picked;
}

function parseMode(argv) {
  const unknown = argv.filter((a) => !MODES[a]);
  if (unknown.length || argv.length > 1) {
    throw new Error(`usage: run.js [--tenancy-cost | --tenants | --profile] (got ${argv.join(' ')})`);
  }
  return MODES[argv[0]] || 'compare';
}

/** What each mode runs: variants of (driver, tenant on/off), keyed for the report. */
function variantsFor(mode) {
  const tenant = process.env.BENCH_TENANT !== '0';
  if (mode === 'tenancy-cost') {
    // The engine floor with and without a tenant too: the engine does tenancy work of its
    // own (driver options per call, a different insert path), which no driver can avoid.
    return [
      { key: 'tenant', driver: 'native', tenant: true },
      { key: 'no-tenant', driver: 'native', tenant: false },
      { key: 'engine-tenant', driver: 'engine', tenant: true },
      { key: 'engine-no-tenant', driver: 'engine', tenant: false },
    ];
  }
  if (mode === 'tenants') {
    return [
      { key: 'native', driver: 'native', tenant: true },
      { key: 'tenants', driver: 'tenants', tenant: true },
    ];
  }
  // The profile is about native unless BENCH_DRIVERS asks for the typescript driver too.
  const drivers =
    process.env.BENCH_DRIVERS || mode !== 'profile' ? list('BENCH_DRIVERS', DRIVERS) : ['native'];
  return drivers.map((driver) => ({ key: driver, driver, tenant }));
}

const tempDirs = new Set();
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

async function runChild(variant, kind, profileDir) {
  if (kind !== 'remote') return forkWorker(variant, kind, profileDir, '-');
  const server = await startSqld();
  try {
    return await forkWorker(variant, kind, profileDir, server.url);
  } finally {
    await server.dispose();
  }
}

function forkWorker(variant, kind, profileDir, where) {
  let dir;
  const args = [variant.driver, kind, where];
  if (kind === 'wal') {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'objectql-kernel-bench-'));
    tempDirs.add(dir);
    args[2] = path.join(dir, 'bench.db');
  }
  if (!variant.tenant) args.push('--no-tenant');
  if (profileDir) args.push('--profile', profileDir);
  return new Promise((resolve) => {
    let message;
    const child = fork(WORKER, args, {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m) => (message = m));
    child.on('error', (error) => (message = message || { ok: false, error: error.stack }));
    child.on('exit', (code, signal) => {
      if (dir) {
        fs.rmSync(dir, { recursive: true, force: true });
        tempDirs.delete(dir);
      }
      if (message && message.ok && code === 0) resolve({ ok: true, result: message.result });
      else
        resolve({ ok: false, error: (message && message.error) || `worker exited with ${signal || code}` });
    });
  });
}

function progress(run, ms) {
  const head = `  ${R.WHERE[run.kind].padEnd(8)} ${run.variant.padEnd(10)}`;
  if (!run.ok) return `${head} FAILED: ${run.error.split('\n')[0]}`;
  const rates = PHASES.map((p) => {
    const { ops, ms: t } = run.result.phases[p];
    return `${p} ${fmtRate(ops / (t / 1000))}`;
  });
  return `${head} ${rates.join(', ')} ops/s (${(ms / 1000).toFixed(1)}s)`;
}

async function print(markdown) {
  console.log(await prettify(markdown));
}

/** journal_mode/synchronous per run: the drivers' durability settings differ. */
function pragmaNotes(runs, kinds) {
  const SYNC = { 0: 'OFF', 1: 'NORMAL', 2: 'FULL', 3: 'EXTRA' };
  const seen = new Map();
  for (const r of runs.filter((x) => x.ok)) {
    const p = r.result.pragmas;
    seen.set(`${r.kind}/${r.variant}`, `${p.journal_mode}/${SYNC[p.synchronous] || p.synchronous}`);
  }
  return kinds.map(
    (kind) =>
      `${R.WHERE[kind]} journal_mode/synchronous as each driver leaves them: ` +
      [...seen]
        .filter(([k]) => k.startsWith(kind))
        .map(([k, v]) => `${k.split('/')[1]} ${v}`)
        .join(', '),
  );
}

async function main() {
  const mode = parseMode(process.argv.slice(2));
  const kinds = process.env.BENCH_DBS ? list('BENCH_DBS', ALL_KINDS) : KINDS;
  if (kinds.includes('remote')) ensureSqld();
  const variants = variantsFor(mode);
  const rounds = mode === 'profile' ? 1 : Math.round(envNumber('BENCH_ROUNDS', 3));
  const ops = Math.round(envNumber('BENCH_OPS', 2000));
  const profileDir =
    mode === 'profile' ? fs.mkdtempSync(path.join(os.tmpdir(), 'objectql-kernel-profile-')) : undefined;

  console.log(
    `ObjectStack kernel bench (${mode}): ${variants.map((v) => v.key).join(', ')} on ${kinds.join(', ')}; ` +
      `${rounds} round(s) of ${fmtRate(ops)} ops per phase; tenant context ${variants.map((v) => `${v.key} ${v.tenant ? 'on' : 'off'}`).join(', ')}; ` +
      `Node ${process.version}, ${os.cpus()[0].model} x ${os.cpus().length}, load ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
  );

  const runs = [];
  for (let round = 1; round <= rounds; round++) {
    console.log(`round ${round}/${rounds}`);
    // Alternate who goes first, so neither driver always runs on a cooler machine.
    const order = round % 2 ? variants : [...variants].reverse();
    for (const kind of kinds) {
      for (const variant of order) {
        const t0 = Date.now();
        const run = { round, kind, variant: variant.key, ...(await runChild(variant, kind, profileDir)) };
        runs.push(run);
        console.log(progress(run, Date.now() - t0));
      }
    }
  }

  const best = R.summarize(runs);
  console.log('');
  if (mode === 'compare') {
    const keys = variants.map((v) => v.key);
    for (const v of variants) console.log(`- ${v.key}: ${LABELS[v.driver]}`);
    console.log(`\nBest of ${rounds} round(s), ops/s per phase:\n`);
    for (const kind of kinds) await print(`${R.KIND_TITLES[kind]}\n\n${R.speedTable(best, kind, keys)}`);
    console.log(['Targets:', ...R.speedTargets(best, kinds)].join('\n'));
  } else if (mode === 'tenants') {
    for (const v of variants) console.log(`- ${v.key}: ${LABELS[v.driver]}`);
    console.log(`\nBest of ${rounds} round(s), ops/s per phase, every call in one tenant's context:\n`);
    for (const kind of kinds) await print(`${R.KIND_TITLES[kind]}\n\n${R.tenantsTable(best, kind)}`);
    console.log(['Targets:', ...R.tenantsTargets(best, kinds)].join('\n'));
  } else if (mode === 'tenancy-cost') {
    console.log(`Native, best of ${rounds} round(s), with and without a tenant in every call's context:\n`);
    for (const kind of kinds) await print(`${R.KIND_TITLES[kind]}\n\n${R.tenancyTable(best, kind)}`);
    console.log(['Targets:', ...R.tenancyTargets(best, kinds)].join('\n'));
  } else {
    console.log('Share of CPU time per phase (driver includes its addon):\n');
    for (const run of runs.filter((r) => r.ok)) {
      await print(`${R.KIND_TITLES[run.kind]}, ${run.variant}\n\n${R.profileTable(run.result)}`);
      console.log(`Heaviest frames of their own:\n${R.profileFrames(run.result).join('\n')}\n`);
    }
    console.log(`CPU profiles (open in Chrome DevTools or VS Code): ${profileDir}`);
  }
  console.log(`\nNotes:\n${pragmaNotes(runs, kinds).join('\n')}`);

  const failures = runs.filter((r) => !r.ok);
  if (failures.length) {
    console.error(`\n${failures.length} run(s) failed:`);
    for (const f of failures) console.error(`\n[round ${f.round}, ${f.kind}, ${f.variant}]\n${f.error}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exitCode = 1;
});
