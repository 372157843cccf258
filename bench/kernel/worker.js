'use strict';

const { urlOf } = require('../workload');

// One driver on one database, in its own process (forked by run.js), so runs cannot warm
// or pollute each other. Usage:
//   node worker.js <native|typescript> <memory|wal> <db file|-> [--no-tenant] [--profile <dir>]
// Boots the kernel, warms it up, runs the timed phases (checking each), and reports
// { phases: { phase: { ops, ms } }, pragmas, maxRssKB, profile? } to the parent over IPC.

const { report } = require('../child');
const fs = require('fs');
const path = require('path');
const { answerFromMemory, bootKernel, nativeRoot } = require('./drivers');
const { PHASES, RUN, VERIFY, session } = require('./phases');
const { OBJECT } = require('./app');
const { envNumber } = require('../workload');
const P = require('./profile');

// Warm-up rows are numbered from here, far from the timed ones.
const WARMUP_BASE = 1e6;

function gc() {
  if (typeof global.gc === 'function') global.gc();
}

async function pragma(driver, name) {
  const rows = await driver.execute(`PRAGMA ${name}`, []);
  const row = Array.isArray(rows) ? rows[0] : rows && rows.rows && rows.rows[0];
  return row ? String(Object.values(row)[0]) : 'unknown';
}

/** The inspector's sampling profiler, started and stopped around each phase. */
async function profiler() {
  const inspector = require('inspector/promises');
  const s = new inspector.Session();
  s.connect();
  await s.post('Profiler.enable');
  // Finer than the 1 ms default: a native phase lasts a few hundred milliseconds.
  await s.post('Profiler.setSamplingInterval', { interval: 100 });
  return {
    start: () => s.post('Profiler.start'),
    stop: async () => (await s.post('Profiler.stop')).profile,
  };
}

function parseArgs(argv) {
  const [driver, kind, file, ...rest] = argv;
  if (!['memory', 'wal', 'remote'].includes(kind))
    throw new Error(`db kind must be memory, wal or remote, got ${kind}`);
  if (kind !== 'memory' && (!file || file === '-'))
    throw new Error(`a ${kind} run needs a db file path or server url`);
  const at = rest.indexOf('--profile');
  return {
    driver,
    kind,
    url: urlOf(kind, file),
    tenant: !rest.includes('--no-tenant'),
    profileDir: at >= 0 ? rest[at + 1] : undefined,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const n = Math.round(envNumber('BENCH_OPS', 2000));
  const warmup = Math.round(envNumber('BENCH_WARMUP', 200));
  const app = await bootKernel(args.driver, args.url);
  let stopped = false;
  try {
    const pragmas = {
      journal_mode: await pragma(app.driver, 'journal_mode'),
      synchronous: await pragma(app.driver, 'synchronous'),
    };
    if (args.kind === 'wal' && pragmas.journal_mode !== 'wal') {
      throw new Error(`journal_mode is ${pragmas.journal_mode}, want wal`);
    }

    // Untimed warm-up over other rows: the JIT compiles the engine's and driver's paths,
    // statement caches fill. It leaves the table empty again.
    const warm = session(app.ql, { n: warmup, tenant: args.tenant, base: WARMUP_BASE });
    warm.perTenant = args.driver === 'tenants';
    for (const phase of PHASES) {
      await RUN[phase](warm);
      await VERIFY[phase](warm);
    }

    // The engine floor: from here on the driver answers from memory, so the timed calls
    // cost what the engine costs (there is nothing stored to check).
    const floor = args.driver === 'engine';
    if (floor) {
      const seeded = session(app.ql, { n: 1, tenant: args.tenant, base: WARMUP_BASE });
      await RUN.insert(seeded);
      answerFromMemory(app.driver, await app.driver.findOne(OBJECT, { where: { id: seeded.ids[0] } }));
    }

    const prof = args.profileDir ? await profiler() : undefined;
    const rules = prof && P.driverRules(args.driver, nativeRoot());
    const s = session(app.ql, { n, tenant: args.tenant });
    s.perTenant = args.driver === 'tenants';
    const phases = {};
    const profile = {};
    for (const phase of PHASES) {
      gc();
      if (prof) await prof.start();
      const t0 = performance.now();
      await RUN[phase](s);
      const ms = performance.now() - t0;
      if (prof) {
        const p = await prof.stop();
        const file = path.join(args.profileDir, `${args.driver}-${args.kind}-${phase}.cpuprofile`);
        fs.writeFileSync(file, JSON.stringify(p));
        profile[phase] = {
          ...P.attribute(p, rules),
          file,
          top: { addon: P.topFrames(p, rules, 'addon'), kernel: P.topFrames(p, rules, 'kernel', 3) },
        };
      }
      phases[phase] = { ops: n, ms };
      if (!floor) await VERIFY[phase](s);
    }
    stopped = true;
    await app.stop();
    const result = { phases, pragmas, maxRssKB: process.resourceUsage().maxRSS };
    if (prof) result.profile = profile;
    return result;
  } finally {
    if (!stopped) await app.stop().catch(() => {});
  }
}

report(main);
