'use strict';

// Boots the ObjectStack kernel (ObjectKernel + ObjectQLPlugin + the app) on one of the two
// drivers and hands back `ql`, the engine an app calls. Only the driver plugin differs.

const path = require('path');
const { appPlugin } = require('./app');

const DRIVERS = ['native', 'typescript', 'engine', 'tenants'];

const LABELS = {
  native: '@objectql/driver-turso (this package, Rust + napi-rs) via its `TursoDriverPlugin`',
  typescript: "@objectstack/driver-turso 17.4.0 (the kernel's own TypeScript driver: knex + better-sqlite3)",
  tenants:
    'this package in multi-tenant mode (`TursoDriverPlugin({ multiTenant })`): every call routed to the ' +
    "file of the context's tenant, a cached tenant; calls without a tenant to a control file beside it",
  engine:
    'the engine alone: the native plugin, its driver answering every timed call from memory at once ' +
    '(no SQL, no checks): what any driver pays to the kernel, so typescript/engine bounds native/typescript',
};

/**
 * Turns `driver` into one that answers the timed calls at once from a canned row, so the
 * engine's own cost per call is what remains (the `engine` variant).
 */
function answerFromMemory(driver, row) {
  const canned = (id) => ({ ...row, id });
  let next = 0;
  Object.assign(driver, {
    create: async (_object, data) => ({ ...row, ...data, id: `floor${next++}` }),
    findOne: async (_object, query) => canned(query?.where?.id ?? 'x'),
    find: async () => Array.from({ length: 20 }, (_, i) => canned(`f${i}`)),
    update: async (_object, id, data) => ({ ...canned(id), ...data }),
    delete: async () => true,
    count: async () => 7,
  });
}

// The registry prints every installed package with console.log unless told otherwise.
process.env.OS_REGISTRY_LOG = process.env.OS_REGISTRY_LOG || 'warn';

/** Where this package is loaded from (BENCH_NATIVE_PATH benches another build, as in bench/). */
function nativeRoot() {
  return path.resolve(process.env.BENCH_NATIVE_PATH || path.join(__dirname, '..', '..'));
}

function nativePlugin(url) {
  const { TursoDriverPlugin } = require(nativeRoot());
  return new TursoDriverPlugin({ connection: { url } });
}

/**
 * One database per tenant, the tenant files beside `url` (a temp dir of their own for
 * `:memory:`, which has no directory).
 */
function tenantsPlugin(url) {
  const { TursoDriverPlugin } = require(nativeRoot());
  const fs = require('fs');
  const os = require('os');
  const dir =
    url === ':memory:'
      ? fs.mkdtempSync(path.join(os.tmpdir(), 'objectql-kernel-tenants-'))
      : path.dirname(url);
  if (url === ':memory:') process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return new TursoDriverPlugin({
    multiTenant: {
      urlTemplate: `file:${dir}/{tenant}.db`,
      controlUrl: url === ':memory:' ? url : `file:${url}`,
    },
  });
}

/** The kernel's TS driver needs a minimal plugin: it ships a driver, not a kernel plugin. */
function typescriptPlugin(url) {
  const binding = require('../sqlite-binding');
  binding.assertLoadable(); // a clear message now rather than deep inside knex's pool later
  const { TursoDriver } = require('@objectstack/driver-turso');
  const driver = new TursoDriver({ url });
  const nativeBinding = binding.nativeBinding();
  if (nativeBinding) {
    // Same passthrough as bench/adapters/objectstack.js: knex reads it when it first connects.
    driver.knex.client.connectionSettings.options = { nativeBinding };
  }
  // While the kernel boots, driver-sql probes for tables that do not exist yet
  // (`SELECT ... WHERE 1 = 0`) and logs each refusal as a warning: expected, so not shown.
  const warn = driver.logger.warn;
  driver.logger.warn = (msg, ...rest) => {
    if (/WHERE 1 = 0; dialect: .*no such table/.test(String(msg))) return;
    warn.call(driver.logger, msg, ...rest);
  };
  return {
    name: 'bench-typescript-turso',
    version: '1.0.0',
    init(ctx) {
      ctx.registerService('driver.turso', driver);
    },
    destroy: () => driver.disconnect(),
  };
}

/** -> { ql, driver, stop() } with the app's object synced and ready. */
async function bootKernel(name, url) {
  const { ObjectKernel } = require('@objectstack/core');
  const { ObjectQLPlugin } = require('@objectstack/objectql');
  let plugin;
  if (name === 'native' || name === 'engine') plugin = nativePlugin(url);
  else if (name === 'tenants') plugin = tenantsPlugin(url);
  else if (name === 'typescript') plugin = typescriptPlugin(url);
  else throw new Error(`unknown driver ${JSON.stringify(name)} (known: ${DRIVERS.join(', ')})`);

  const kernel = new ObjectKernel({ logger: { level: 'error' } });
  await kernel.use(new ObjectQLPlugin());
  await kernel.use(plugin);
  await kernel.use(appPlugin());
  await kernel.bootstrap();
  return {
    ql: kernel.getService('objectql'),
    driver: kernel.getService('driver.turso'),
    async stop() {
      // kernel.shutdown() leaves drivers connected; the driver plugin's destroy() closes them.
      await kernel.shutdown();
      await plugin.destroy();
    },
  };
}

module.exports = {
  answerFromMemory,
  DRIVERS,
  LABELS,
  bootKernel,
  nativeRoot,
};
