'use strict';

// TursoDriver: the drop-in class. Local statements run inline in Rust and come back as
// settled Promises; this layer only adapts shapes (the 4.2.2 API), carries transaction
// handles, turns native errors into ObjectQLErrors, and retries writes that found the
// database locked by another connection, asynchronously, so the JS thread never blocks.

const { NativeDriver } = require('../native.js');
const { makeError, toObjectQLError, isBusy } = require('./errors.js');
const { encodeRecord, encodeRecords } = require('./records.js');
const { toRow, toRows } = require('./rows.js');
const { version } = require('../package.json');

/** What this driver really does; a flag is true only when the feature works. */
const SUPPORTS = Object.freeze({
  create: true,
  read: true,
  update: true,
  delete: true,
  bulkCreate: true,
  bulkUpdate: true,
  bulkDelete: true,
  transactions: true,
  savepoints: false,
  queryFilters: true,
  queryAggregations: true,
  querySorting: true,
  queryPagination: true,
  queryWindowFunctions: false,
  querySubqueries: false,
  queryCTE: false,
  joins: false,
  fullTextSearch: false,
  jsonQuery: false,
  jsonFields: true,
  arrayFields: false,
  vectorSearch: false,
  streaming: false,
  schemaSync: true,
  migrations: false,
  indexes: true,
  connectionPooling: false,
  preparedStatements: true,
  queryCache: false,
});

const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 50;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A transaction handle: pass it back as `options.transaction`. */
class TursoTransaction {
  #owner;
  constructor(id, owner) {
    this.id = id;
    this.#owner = owner;
    Object.freeze(this);
  }
  static ownerOf(tx) {
    return #owner in tx ? tx.#owner : undefined;
  }
}

/**
 * What the ObjectStack kernel reads in addition: one call syncs many objects, and the
 * date buckets `aggregate` computes in SQL (UTC; the engine buckets other time zones).
 */
const KERNEL_SUPPORTS = Object.freeze({
  ...SUPPORTS,
  batchSchemaSync: true,
  queryDateGranularity: Object.freeze({ day: true, week: true, month: true, quarter: true, year: true }),
});

/** The kernel picks its SQL dialect from `config.client`; this is knex's SQLite name. */
const SQLITE_CLIENT = 'better-sqlite3';

const isPlainObject = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);

class TursoDriver {
  #native;
  /** Serving the ObjectStack kernel (`contract: 'objectstack'`) rather than 4.2.2 callers. */
  #kernel;

  constructor(config) {
    this.name = 'TursoDriver';
    this.version = version;
    this.#kernel = config?.contract === 'objectstack';
    this.supports = this.#kernel ? KERNEL_SUPPORTS : SUPPORTS;
    this.config = isPlainObject(config) ? { ...config, client: SQLITE_CLIENT } : config;
    try {
      this.#native = new NativeDriver(config ?? {});
    } catch (err) {
      throw toObjectQLError(err);
    }
  }

  /**
   * Runs a native call and returns its result as a Promise. A call that found the
   * database locked changed nothing; it is retried with backoff until `timeout`.
   */
  #run(call) {
    try {
      return Promise.resolve(call());
    } catch (err) {
      if (isBusy(err)) return this.#retryWhenUnlocked(call, err);
      return Promise.reject(this.#error(err));
    }
  }

  async #retryWhenUnlocked(call, firstError) {
    const timeout = this.#native.busyTimeout;
    const deadline = Date.now() + timeout;
    let delay = FIRST_RETRY_MS;
    let last = firstError;
    while (Date.now() < deadline) {
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(delay * 2, MAX_RETRY_MS);
      try {
        return call();
      } catch (err) {
        if (!isBusy(err)) throw this.#error(err);
        last = err;
      }
    }
    throw makeError(
      'DRIVER_ERROR',
      `The database stayed locked by another transaction for ${timeout} ms (${last.message}); ` +
        'commit or roll back open transactions, or raise the driver "timeout".',
    );
  }

  /** The kernel knows a refused filter as INVALID_FILTER; 4.2.2 callers as INVALID_REQUEST. */
  #error(err) {
    return toObjectQLError(err, { kernel: this.#kernel });
  }

  /**
   * The filter of a count/updateMany/deleteMany argument: the kernel sends a query
   * (`{ object, where }`), 4.2.2 callers the filter itself.
   */
  #filterOf(arg) {
    if (this.#kernel && isPlainObject(arg) && ('where' in arg || 'object' in arg)) return arg.where;
    return arg;
  }

  /** Paged reads must not depend on storage order: the kernel's pages end on the id. */
  #pagedQuery(query) {
    if (!this.#kernel || !isPlainObject(query) || (query.limit == null && query.offset == null)) {
      return query;
    }
    const orderBy = Array.isArray(query.orderBy) ? query.orderBy : [];
    if (orderBy.some((o) => (typeof o === 'string' ? o : o?.field) === 'id')) return query;
    return { ...query, orderBy: [...orderBy, { field: 'id', order: 'asc' }] };
  }

  /** The native transaction id named by `options`, or undefined. */
  #tx(options) {
    const tx = options?.transaction ?? options?.context?.transaction;
    if (tx == null) return undefined;
    if (!(tx instanceof TursoTransaction) || TursoTransaction.ownerOf(tx) !== this) {
      throw makeError(
        'DRIVER_ERROR',
        'options.transaction is not a transaction of this driver; pass the handle returned by its beginTransaction()',
      );
    }
    return tx.id;
  }

  /** Like #run, for calls that take a transaction: a foreign handle rejects too. */
  #runIn(options, call) {
    let tx;
    try {
      tx = this.#tx(options);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#run(() => call(tx));
  }

  // --- lifecycle ------------------------------------------------------------------------

  connect() {
    return this.#run(() => this.#native.connect());
  }

  disconnect() {
    return this.#run(() => this.#native.disconnect());
  }

  checkHealth() {
    try {
      return Promise.resolve(this.#native.checkHealth());
    } catch {
      return Promise.resolve(false);
    }
  }

  /** Embedded replicas only; a no-op for local databases. */
  sync() {
    return Promise.resolve();
  }

  getPoolStats() {
    return undefined;
  }

  // --- schema ---------------------------------------------------------------------------

  init(objects) {
    return this.#run(() => this.#native.syncSchema(objects));
  }

  /** `syncSchema(objects)` (4.2.2) or `syncSchema(name, schema)` (the kernel). */
  syncSchema(objects, schema) {
    if (typeof objects === 'string') return this.init([{ ...schema, name: objects }]);
    return this.init(objects);
  }

  /** The kernel's batch form: `[{ object, schema }]`, all in one transaction. */
  syncSchemasBatch(batch) {
    const objects = Array.isArray(batch) ? batch.map((b) => ({ ...b?.schema, name: b?.object })) : batch;
    return this.init(objects);
  }

  dropTable(objectName, _options) {
    return this.#run(() => this.#native.dropTable(objectName));
  }

  introspectSchema() {
    return this.#run(() => this.#native.introspectSchema());
  }

  // --- reads ----------------------------------------------------------------------------

  find(objectName, query, options) {
    const q = this.#pagedQuery(query);
    return this.#runIn(options, (tx) => toRows(this.#native.find(objectName, q, tx)));
  }

  /** By id (`findOne(object, id, query?, options?)`) or by query (`findOne(object, query, options?)`). */
  findOne(objectName, id, query, options) {
    const opts = isPlainObject(id) && options === undefined ? query : options;
    return this.#runIn(opts, (tx) => toRow(this.#native.findOne(objectName, id, tx)));
  }

  count(objectName, filters, options) {
    const filter = this.#filterOf(filters);
    return this.#runIn(options, (tx) => this.#native.count(objectName, filter, tx));
  }

  distinct(objectName, field, filters, options) {
    return this.#runIn(options, (tx) => this.#native.distinct(objectName, field, filters, tx));
  }

  aggregate(objectName, query, options) {
    return this.#runIn(options, (tx) => toRows(this.#native.aggregate(objectName, query, tx)));
  }

  explain(objectName, query, options) {
    return this.#runIn(options, (tx) => toRows(this.#native.explain(objectName, query, tx)));
  }

  // --- writes ---------------------------------------------------------------------------

  create(objectName, data, options) {
    const [keys, values] = encodeRecord(data, this.#kernel);
    return this.#runIn(options, (tx) => toRow(this.#native.create(objectName, keys, values, tx)));
  }

  upsert(objectName, data, options) {
    const [keys, values] = encodeRecord(data, this.#kernel);
    return this.#runIn(options, (tx) => toRow(this.#native.upsert(objectName, keys, values, tx)));
  }

  /**
   * The stored record. For an unknown id: `null` for the kernel, `{ id, ...data }` for
   * 4.2.2 callers (what the 4.2.2 driver returned).
   */
  update(objectName, id, data, options) {
    const [keys, values] = encodeRecord(data, this.#kernel);
    const missing = this.#kernel ? () => null : () => ({ id, ...data });
    return this.#runIn(
      options,
      (tx) => toRow(this.#native.update(objectName, id, keys, values, tx)) ?? missing(),
    );
  }

  /** `true`/`false` for the kernel, `{ deleted }` for 4.2.2 callers. */
  delete(objectName, id, options) {
    return this.#runIn(options, (tx) => {
      const deleted = this.#native.delete(objectName, id, tx);
      return this.#kernel ? deleted : { deleted };
    });
  }

  /** A number for the kernel, `{ affected, modifiedCount }` for 4.2.2 callers. */
  updateMany(objectName, filters, data, options) {
    const filter = this.#filterOf(filters);
    const [keys, values] = encodeRecord(data, this.#kernel);
    return this.#runIn(options, (tx) => {
      const affected = this.#native.updateMany(objectName, filter, keys, values, tx);
      return this.#kernel ? affected : { affected, modifiedCount: affected };
    });
  }

  /** A number for the kernel, `{ affected, deletedCount }` for 4.2.2 callers. */
  deleteMany(objectName, filters, options) {
    const filter = this.#filterOf(filters);
    return this.#runIn(options, (tx) => {
      const affected = this.#native.deleteMany(objectName, filter, tx);
      return this.#kernel ? affected : { affected, deletedCount: affected };
    });
  }

  /**
   * All records in one transaction. The kernel gets the stored rows; 4.2.2 callers how
   * many were inserted (`[]` for no records).
   */
  bulkCreate(objectName, records, options) {
    if (Array.isArray(records) && records.length === 0) return Promise.resolve([]);
    const [shapes, counts, values] = encodeRecords(records, this.#kernel);
    const returning = this.#kernel;
    return this.#runIn(options, (tx) =>
      this.#native.bulkCreate(objectName, shapes, counts, values, returning, tx),
    );
  }

  bulkUpdate(objectName, updates, options) {
    if (Array.isArray(updates) && updates.length === 0) return Promise.resolve([]);
    const ids = Array.isArray(updates) ? updates.map((u) => u?.id) : updates;
    const [shapes, counts, values] = encodeRecords(
      Array.isArray(updates) ? updates.map((u) => u?.data ?? {}) : updates,
      this.#kernel,
    );
    return this.#runIn(options, (tx) => this.#native.bulkUpdate(objectName, ids, shapes, counts, values, tx));
  }

  bulkDelete(objectName, ids, options) {
    if (Array.isArray(ids) && ids.length === 0) return Promise.resolve([]);
    return this.#runIn(options, (tx) => this.#native.bulkDelete(objectName, ids, tx));
  }

  // --- raw SQL and the DriverInterface v4 entry points ----------------------------------

  /** `command` is SQL (with `parameters`) or `{ sql, args }`. */
  execute(command, parameters, options) {
    const [sql, args] =
      typeof command === 'string' ? [command, parameters ?? []] : [command?.sql, command?.args ?? []];
    return this.#runIn(options, (tx) => this.#native.execute(sql, args, tx));
  }

  async executeQuery(ast, options) {
    const objectName = ast?.object || ast?.from;
    if (!objectName) {
      throw makeError('QUERY_ERROR', 'executeQuery requires an "object" or "from" field in the AST.');
    }
    return { value: await this.find(objectName, ast, options) };
  }

  /** Failures are returned as `{ success: false }`, never thrown. */
  async executeCommand(command, options) {
    const { type, object } = command ?? {};
    try {
      switch (type) {
        case 'create':
          return { success: true, data: await this.create(object, command.data, options), affected: 1 };
        case 'update':
          return {
            success: true,
            data: await this.update(object, command.id, command.data, options),
            affected: 1,
          };
        case 'delete': {
          const { deleted } = await this.delete(object, command.id, options);
          return { success: true, affected: deleted ? 1 : 0 };
        }
        case 'bulkCreate':
          return {
            success: true,
            affected: toCount(await this.bulkCreate(object, command.records, options)),
          };
        case 'bulkUpdate':
          return {
            success: true,
            affected: toCount(await this.bulkUpdate(object, command.updates, options)),
          };
        case 'bulkDelete':
          return { success: true, affected: toCount(await this.bulkDelete(object, command.ids, options)) };
        default:
          return { success: false, affected: 0 };
      }
    } catch (err) {
      return { success: false, affected: 0, data: err instanceof Error ? err.message : String(err) };
    }
  }

  // --- transactions ---------------------------------------------------------------------

  beginTransaction() {
    return this.#run(() => new TursoTransaction(this.#native.beginTransaction(), this));
  }

  commit(transaction) {
    return this.#runIn({ transaction }, (tx) => this.#native.commit(tx));
  }

  rollback(transaction) {
    return this.#runIn({ transaction }, (tx) => this.#native.rollback(tx));
  }

  commitTransaction(transaction) {
    return this.commit(transaction);
  }

  rollbackTransaction(transaction) {
    return this.rollback(transaction);
  }
}

const toCount = (result) => (typeof result === 'number' ? result : 0);

function createTursoDriver(config) {
  return new TursoDriver(config);
}

module.exports = { TursoDriver, TursoTransaction, createTursoDriver, SUPPORTS };
