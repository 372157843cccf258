'use strict';

// (a) this package: @objectql/driver-turso, Rust core behind napi-rs. Loaded from the
// package root, exactly as `require('@objectql/driver-turso')` resolves it.

const path = require('path');
const { OBJECT, SCHEMA, urlOf } = require('../workload');

function load() {
  // BENCH_NATIVE_PATH benches another build of the package (default: this checkout).
  const root = path.resolve(process.env.BENCH_NATIVE_PATH || path.join(__dirname, '..', '..'));
  try {
    return require(root);
  } catch (error) {
    throw new Error(
      `the native package does not load from ${root} (run \`npm run build\` first, ` +
        `or leave it out with BENCH_DRIVERS=objectstack,libsql,better-sqlite3): ${error.message}`,
      { cause: error },
    );
  }
}

async function open({ kind, file, syncUrl }) {
  const { TursoDriver } = load();
  const driver = new TursoDriver({ url: urlOf(kind, file), syncUrl, sync: { intervalSeconds: 0 } });
  await driver.connect();
  if (kind === 'wal') {
    // A no-op if the driver already puts files in WAL; worker.js checks the mode either way.
    await driver.execute('PRAGMA journal_mode = WAL');
  }

  return {
    async createTable() {
      await driver.init([SCHEMA]);
    },
    async bulkInsert(rows) {
      const created = await driver.bulkCreate(OBJECT, rows);
      if (typeof created === 'number' && created !== rows.length) {
        throw new Error(`bulkCreate reported ${created} rows for ${rows.length}`);
      }
    },
    async create(row) {
      return (await driver.create(OBJECT, row)).id;
    },
    async findOne(id) {
      return driver.findOne(OBJECT, id);
    },
    async update(id, data) {
      return Boolean(await driver.update(OBJECT, id, data));
    },
    async remove(id) {
      const result = await driver.delete(OBJECT, id);
      return (
        result === true ||
        result === 1 ||
        (result !== null && typeof result === 'object' && result.deleted === true)
      );
    },
    async find(k) {
      return driver.find(OBJECT, {
        where: { n: { $gt: k } },
        orderBy: [{ field: 'score', order: 'desc' }],
        limit: 50,
      });
    },
    async sql(text, params = []) {
      return (await driver.execute(text, params)).rows;
    },
    async close() {
      await driver.disconnect();
    },
  };
}

module.exports = { open };
