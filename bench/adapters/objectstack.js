'use strict';

// (b) @objectstack/driver-turso@17.4.0, the ObjectStack kernel's TypeScript Turso driver.
//
// For `:memory:` and `file:` URLs it runs in "local" mode: it extends SqlDriver from
// @objectstack/driver-sql, i.e. Knex with client 'better-sqlite3' (the peer dependency;
// 13 segfaults on Node 20, so 12 is installed). @libsql/client is only used for remote and
// embedded-replica modes (the bench's remote column). connect() sets PRAGMA auto_vacuum=INCREMENTAL and, on a file,
// journal_mode=WAL (synchronous untouched). Schema: initObjects([objectDef]) (syncSchema
// delegates to it), which also adds created_at / updated_at columns and stamps them.

const { TursoDriver } = require('@objectstack/driver-turso');
const { OBJECT, SCHEMA, KERNEL_BULK_CHUNK, urlOf } = require('../workload');
const binding = require('../sqlite-binding');

// bulkCreate() sends ONE knex insert, which knex's SQLite dialect spells
// `INSERT ... SELECT ... UNION ALL SELECT ...`: more than 500 rows exceed SQLite's
// SQLITE_MAX_COMPOUND_SELECT and fail with "too many terms in compound SELECT". So the
// bulk phase is bulkCreate() in 500-row calls, inside one driver transaction.
const BULK_CHUNK = KERNEL_BULK_CHUNK;

async function open({ kind, file, syncUrl }) {
  binding.assertLoadable();
  const driver = new TursoDriver({ url: urlOf(kind, file), syncUrl, sync: { intervalSeconds: 0 } });
  const nativeBinding = binding.nativeBinding();
  if (nativeBinding) {
    // TursoDriverConfig has no knex passthrough; knex reads connection.options.nativeBinding
    // when it opens its (single) connection, which has not happened yet.
    driver.knex.client.connectionSettings.options = { nativeBinding };
  }
  await driver.connect();

  return {
    async createTable() {
      await driver.initObjects([SCHEMA]);
    },
    async bulkInsert(rows) {
      const trx = await driver.beginTransaction();
      try {
        for (let i = 0; i < rows.length; i += BULK_CHUNK) {
          const chunk = rows.slice(i, i + BULK_CHUNK);
          const created = await driver.bulkCreate(OBJECT, chunk, { transaction: trx });
          if (created.length !== chunk.length) {
            throw new Error(`bulkCreate returned ${created.length} rows for ${chunk.length}`);
          }
        }
        await driver.commit(trx);
      } catch (error) {
        await driver.rollback(trx).catch(() => {});
        throw error;
      }
    },
    async create(row) {
      return (await driver.create(OBJECT, row)).id;
    },
    async findOne(id) {
      return driver.findOne(OBJECT, { where: { id } });
    },
    async update(id, data) {
      return (await driver.update(OBJECT, id, data)) !== null;
    },
    async remove(id) {
      return (await driver.delete(OBJECT, id)) === true;
    },
    async find(k) {
      return driver.find(OBJECT, {
        where: { n: { $gt: k } },
        orderBy: [{ field: 'score', order: 'desc' }],
        limit: 50,
      });
    },
    async sql(text, params = []) {
      // Remote mode runs statements through its @libsql/client transport, not knex.
      return kind === 'remote' ? driver.execute(text, params) : driver.knex.raw(text, params);
    },
    async close() {
      await driver.disconnect();
    },
  };
}

module.exports = { open };
