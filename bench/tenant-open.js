'use strict';

// `node --expose-gc bench/tenant-open.js`: what one tenant database costs this process.
//
//   open    a cold open of an existing, up-to-date tenant file: `new TursoDriver` and
//           `connect()`, which brings the file to the shared schema (here: a fingerprint
//           check, no DDL). Median and p99 over TENANTS files, each opened once.
//   held    RSS and open fds with TENANTS drivers connected at once, each having read a
//           little of every object, for each setting in CACHES, each in a process of its
//           own: `default` (the driver's page cache), a `cacheSizeKiB`, or either with
//           `+heap:<MiB>` (`setSoftHeapLimit` before the first open).
//
// Env: TENANTS=1000  CACHES=default,64,default+heap:64  OBJECTS=8 (objects of the app, 6 fields each)
//      BENCH_NATIVE_PATH=<dir> (another build of this package; default: this checkout)
// A build without the shared schema (before it existed) opens with `syncSchema(objects)`
// after `connect()`, which is what a router had to do there.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const pkg = require(process.env.BENCH_NATIVE_PATH ?? path.join(__dirname, '..'));
const { TursoDriver } = pkg;
const { kSharedSchema, TenantSchema } = (() => {
  try {
    return require(
      path.join(process.env.BENCH_NATIVE_PATH ?? path.join(__dirname, '..'), 'lib/tenant-schema.js'),
    );
  } catch {
    return {};
  }
})();

const TENANTS = Number(process.env.TENANTS ?? 1000);
const CACHES = (process.env.CACHES ?? 'default,64,default+heap:64').split(',').filter(Boolean);
const OBJECTS = Number(process.env.OBJECTS ?? 8);

const objects = Array.from({ length: OBJECTS }, (_, i) => ({
  name: `object_${i}`,
  fields: {
    title: { type: 'text' },
    amount: { type: 'number' },
    done: { type: 'boolean' },
    due: { type: 'datetime' },
    meta: { type: 'json' },
    code: { type: 'text', unique: true },
  },
}));

const dir =
  process.argv[2] === 'held' ? process.argv[4] : fs.mkdtempSync(path.join(os.tmpdir(), 'tenant-open-'));
const file = (i) => path.join(dir, `t${i}.db`);
const shared = TenantSchema ? new TenantSchema() : undefined;
if (shared) shared.syncSchema(objects);

/** A driver for tenant `i`, as a router makes it. */
function tenantDriver(i, extra = {}) {
  const config = { url: `file:${file(i)}`, ...extra };
  if (shared) config[kSharedSchema] = shared;
  return new TursoDriver(config);
}

async function open(i, extra) {
  const driver = tenantDriver(i, extra);
  await driver.connect();
  if (!shared) await driver.syncSchema(objects);
  return driver;
}

function fds() {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return NaN;
  }
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const heapMiB = () => process.memoryUsage().heapUsed / 2 ** 20;
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** The page-cache option of a setting (`default`, a KiB count, or `<KiB>+heap:<MiB>`). */
function settingOf(setting) {
  const [cache, heap] = setting.split('+heap:');
  return {
    extra: cache === 'default' ? {} : { cacheSizeKiB: Number(cache) },
    heapBytes: heap === undefined ? undefined : Number(heap) * 2 ** 20,
  };
}

/** In a child process of its own (RSS is not given back between settings): hold them all. */
async function held(setting) {
  const { extra, heapBytes } = settingOf(setting);
  if (heapBytes !== undefined) pkg.setSoftHeapLimit(heapBytes);
  global.gc?.();
  const rss0 = rssMiB();
  const heap0 = heapMiB();
  const fd0 = fds();
  const drivers = [];
  for (let i = 0; i < TENANTS; i++) {
    const d = await open(i, extra);
    // A few reads per tenant, as requests would make.
    for (let o = 0; o < OBJECTS; o++) await d.find(`object_${o}`, { limit: 10 });
    drivers.push(d);
  }
  global.gc?.();
  const rss1 = rssMiB();
  const heap1 = heapMiB();
  const fd1 = fds();
  console.log(
    `held ${TENANTS} tenants, ${setting}: RSS +${(rss1 - rss0).toFixed(1)} MiB ` +
      `(${(((rss1 - rss0) * 1024) / TENANTS).toFixed(0)} KiB each; JS heap +${(heap1 - heap0).toFixed(1)} MiB), ` +
      `fds +${fd1 - fd0} ` +
      `(${((fd1 - fd0) / TENANTS).toFixed(2)} each)`,
  );
  for (const d of drivers) await d.disconnect();
}

async function main() {
  // Make every file and bring it to the schema once (the tenants exist already), with
  // rows to read.
  for (let i = 0; i < TENANTS; i++) {
    const d = await open(i);
    for (let o = 0; o < OBJECTS; o++) {
      await d.bulkCreate(
        `object_${o}`,
        Array.from({ length: 20 }, (_, n) => ({
          title: `row ${n} of tenant ${i}`,
          amount: n,
          code: `c${n}`,
        })),
      );
    }
    await d.disconnect();
  }

  // Warm the code paths, then time each open.
  for (let i = 0; i < Math.min(50, TENANTS); i++) await (await open(i)).disconnect();
  const times = [];
  for (let i = 0; i < TENANTS; i++) {
    const t0 = process.hrtime.bigint();
    const d = await open(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await d.disconnect();
  }
  times.sort((a, b) => a - b);
  console.log(
    `open (connect + schema check), ${TENANTS} files: median ${quantile(times, 0.5).toFixed(3)} ms, ` +
      `p99 ${quantile(times, 0.99).toFixed(3)} ms, max ${times[times.length - 1].toFixed(3)} ms`,
  );

  for (const setting of CACHES) {
    const child = spawnSync(process.execPath, ['--expose-gc', __filename, 'held', setting, dir], {
      env: process.env,
      stdio: 'inherit',
    });
    if (child.status !== 0) throw new Error(`the held run of ${setting} failed`);
  }
}

const run = process.argv[2] === 'held' ? () => held(process.argv[3]) : main;
run()
  .then(() => {
    if (process.argv[2] !== 'held') fs.rmSync(dir, { recursive: true, force: true });
  })
  .catch((err) => {
    console.error(err);
    if (process.argv[2] !== 'held') fs.rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  });
