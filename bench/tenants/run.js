'use strict';

// `npm run bench:tenants`: the multi-tenant router at the scale SaaS apps run it, on temp
// files. Every tenant file is a copy of one synced database (what a provisioned tenant
// looks like), so an open measures the router and the driver, not the making of tables.
//
//   cached     getDriverForTenant of an open tenant (median of batches)
//   cold open  getDriverForTenant of an existing, up-to-date tenant served before (closed
//              since): open + schema check
//   memory     RSS and file descriptors of BENCH_OPEN open tenants
//   cycle      BENCH_TENANTS tenants through maxCachedTenants: BENCH_CAP, one read each:
//              RSS after warm-up vs at the end, the most fds seen, failed calls
//   burst      1,000 concurrent first calls for 10 new tenants: drivers made
//
// Env: BENCH_TENANTS=100000  BENCH_CAP=1000  BENCH_OPEN=1000  BENCH_NATIVE_PATH=<dir>
// Exits 0 whether or not the targets are met; non-zero if a call fails.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { envNumber } = require('../workload');
const { prettify } = require('../report');

const ROOT = path.resolve(process.env.BENCH_NATIVE_PATH || path.join(__dirname, '..', '..'));
const { createMultiTenantRouter, TursoDriver } = require(ROOT);

const TENANTS = Math.round(envNumber('BENCH_TENANTS', 100_000));
const CAP = Math.round(envNumber('BENCH_CAP', 1000));
const OPEN = Math.round(envNumber('BENCH_OPEN', 1000));

const OBJECTS = [
  {
    name: 'invoice',
    fields: {
      title: { type: 'text' },
      amount: { type: 'number' },
      due: { type: 'date' },
      organization_id: { type: 'text' },
    },
    indexes: [{ fields: ['amount'] }],
  },
  { name: 'customer', fields: { name: { type: 'text' }, email: { type: 'text', unique: true } } },
];

const id = (i) => `t${String(i).padStart(6, '0')}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const now = () => Number(process.hrtime.bigint()) / 1e3; // µs

function rssMB() {
  global.gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

function openFds() {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return NaN;
  }
}

/** A synced tenant database, copied to `count` tenant files. */
async function provision(dir, count) {
  const template = path.join(dir, 'template.db');
  const driver = new TursoDriver({ url: `file:${template}` });
  await driver.syncSchema(OBJECTS);
  await driver.create('customer', { name: 'first', email: 'first@example.com' });
  await driver.disconnect();
  for (const ext of ['-wal', '-shm']) fs.rmSync(template + ext, { force: true });
  for (let i = 0; i < count; i++) fs.copyFileSync(template, path.join(dir, `${id(i)}.db`));
}

function router(dir, config = {}) {
  const made = createMultiTenantRouter({ urlTemplate: `file:${dir}/{tenant}.db`, ...config });
  return made;
}

async function cached(dir) {
  const r = router(dir);
  await r.syncSchema(OBJECTS);
  await r.getDriverForTenant(id(0));
  const batch = 1000;
  const perCall = [];
  for (let b = 0; b < 300; b++) {
    const t0 = now();
    for (let i = 0; i < batch; i++) await r.getDriverForTenant(id(0));
    perCall.push((now() - t0) / batch);
  }
  await r.destroyAll();
  return median(perCall);
}

/** Opens BENCH_OPEN tenants one by one (timed), then measures what they hold open. */
async function coldAndMemory(dir) {
  const r = router(dir, { maxCachedTenants: OPEN + 10 });
  await r.syncSchema(OBJECTS);
  // Measured from before any tenant opened: what holding them costs, allocator growth included.
  const rss0 = rssMB();
  // Warm the code paths on tenants the timed part does not use.
  for (let i = TENANTS; i < TENANTS + 20; i++) await (await r.getDriverForTenant(id(i))).count('invoice', {});
  // A tenant served before, as an existing tenant is: its first open since provisioning
  // (a copied file) makes the WAL and shared-memory files the driver keeps from then on.
  for (let i = 0; i < OPEN; i++) await r.getDriverForTenant(id(i));
  await r.destroyAll();
  const fds0 = openFds();
  const opens = [];
  for (let i = 0; i < OPEN; i++) {
    const t0 = now();
    await r.getDriverForTenant(id(i));
    opens.push(now() - t0);
  }
  const rss1 = rssMB();
  const fds1 = openFds();
  await r.destroyAll();
  return {
    median: median(opens),
    p99: quantile(opens, 0.99),
    rssGrowth: rss1 - rss0,
    fdsPerTenant: (fds1 - fds0) / OPEN,
  };
}

async function cycle(dir) {
  const r = router(dir, { maxCachedTenants: CAP });
  await r.syncSchema(OBJECTS);
  let failed = 0;
  let firstError;
  let maxFds = 0;
  let maxOpen = 0;
  const warmAt = Math.min(TENANTS, Math.max(CAP * 5, Math.floor(TENANTS / 5)));
  let rssWarm;
  const samples = [];
  const t0 = Date.now();
  for (let i = 0; i < TENANTS; i++) {
    try {
      const driver = await r.getDriverForTenant(id(i));
      await driver.count('customer', {});
    } catch (err) {
      failed++;
      firstError ??= err;
    }
    // A server's event loop turns between requests; a local driver answers inline, so this
    // loop would never let it. Node runs the finalizers of collected native objects (the
    // closed tenants' drivers, about 1 KiB each) only when it turns: without this, they
    // pile up (measured: +0.8 KiB RSS per tenant cycled) until the loop yields.
    if (i % 100 === 99) await new Promise(setImmediate);
    if (i % 1000 === 999) {
      maxFds = Math.max(maxFds, openFds());
      maxOpen = Math.max(maxOpen, r.getCacheSize());
    }
    if (i + 1 === warmAt) rssWarm = rssMB();
    if (i % 10_000 === 9_999) samples.push(rssMB());
  }
  const seconds = (Date.now() - t0) / 1000;
  const rssEnd = rssMB();
  await r.destroyAll();
  return { failed, firstError, maxFds, maxOpen, rssWarm, rssEnd, samples, seconds, warmAt };
}

async function burst(dir) {
  let creates = 0;
  const r = router(dir, {
    onTenantCreate: async () => {
      creates++;
    },
  });
  await r.syncSchema(OBJECTS);
  const ids = Array.from({ length: 10 }, (_, i) => `burst-${i}`);
  const drivers = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => r.getDriverForTenant(ids[i % 10])),
  );
  const made = new Set(drivers).size;
  await r.destroyAll();
  return { made, creates };
}

const pass = (ok) => (ok ? 'PASS' : 'FAIL');

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'objectql-tenants-bench-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  console.log(
    `tenants bench: ${TENANTS} tenant files, cap ${CAP}, ${OPEN} held open; Node ${process.version}, ` +
      `${os.cpus()[0].model} x ${os.cpus().length}, load ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
  );
  let t = Date.now();
  await provision(dir, TENANTS + 20);
  console.log(`provisioned ${TENANTS + 20} tenant files in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const lookup = await cached(dir);
  t = Date.now();
  const open = await coldAndMemory(dir);
  console.log(`opened ${OPEN} tenants in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const cyc = await cycle(dir);
  console.log(
    `cycled ${TENANTS} tenants in ${cyc.seconds.toFixed(1)} s (RSS every 10,000: ${cyc.samples.map((x) => x.toFixed(0)).join(' ')} MB)`,
  );
  const b = await burst(dir);

  const drift = (cyc.rssEnd - cyc.rssWarm) / cyc.rssWarm;
  const rows = [
    ['cached getDriverForTenant, median', `${lookup.toFixed(2)} µs`, '<= 2 µs', pass(lookup <= 2)],
    [
      'cold open of an up-to-date tenant, median',
      `${(open.median / 1000).toFixed(2)} ms`,
      '<= 0.5 ms',
      pass(open.median <= 500),
    ],
    ['cold open, p99', `${(open.p99 / 1000).toFixed(2)} ms`, '<= 2 ms', pass(open.p99 <= 2000)],
    [
      `RSS growth, ${OPEN} open tenants`,
      `${open.rssGrowth.toFixed(1)} MB`,
      '<= 100 MB',
      pass(open.rssGrowth <= 100),
    ],
    ['file descriptors per open tenant', open.fdsPerTenant.toFixed(2), '', ''],
    [
      `cycle ${TENANTS} tenants through cap ${CAP}: RSS after ${cyc.warmAt} -> end`,
      `${cyc.rssWarm.toFixed(0)} -> ${cyc.rssEnd.toFixed(0)} MB (${(drift * 100).toFixed(1)}%)`,
      '±10%',
      pass(Math.abs(drift) <= 0.1),
    ],
    [
      'cycle: most tenants open / most fds',
      `${cyc.maxOpen} / ${cyc.maxFds}`,
      `<= ${CAP} open`,
      pass(cyc.maxOpen <= CAP),
    ],
    ['cycle: failed calls', String(cyc.failed), '0', pass(cyc.failed === 0)],
    [
      '1,000 concurrent first calls, 10 tenants: drivers / onTenantCreate',
      `${b.made} / ${b.creates}`,
      '10 / 10',
      pass(b.made === 10 && b.creates === 10),
    ],
  ];
  const table = [
    '| measure | value | target | |',
    '| --- | ---: | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  console.log(`\n${await prettify(table.join('\n'))}`);
  if (cyc.firstError) {
    console.error(`first failed call: ${cyc.firstError.stack ?? cyc.firstError}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exitCode = 1;
});
