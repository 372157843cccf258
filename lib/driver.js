'use strict';

// TursoDriver: the drop-in class. Local statements run inline in Rust and come back as
// settled Promises; a libSQL server's come back as Promises the Rust runtime settles
// (see src/answer.rs). This layer only adapts shapes (the 4.2.2 API), carries transaction
// handles, turns native errors into ObjectQLErrors, and retries writes that found the
// database locked by another connection, asynchronously, so the JS thread never blocks.

const { isNativeError } = require('util').types;
const { NativeDriver } = require('../native.js');
const { ObjectQLError, makeError, toObjectQLError, isBusy } = require('./errors.js');
const { encodeRecord, encodeRecords } = require('./records.js');
const { TenantAudit } = require('./tenant-audit.js');
const { kSharedSchema, kApplySharedSchema, nativeSchemaOf } = require('./tenant-schema.js');
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

/**
 * What the router (lib/router.js) reads and sets on the drivers it hands out; symbols, so
 * neither shows on a driver an app holds. `kBusy`: whether a call or a transaction is under
 * way (such a driver is never closed to make room). `kOnReopen`: called when a call reaches
 * the driver after it was closed, before that call reopens the database, so the router
 * counts it against its budget again.
 */
const kBusy = Symbol('objectql.turso.busy');
const kOnReopen = Symbol('objectql.turso.onReopen');
const kMigrateOnSync = Symbol('objectql.turso.migrateOnSync');

const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 50;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const same = (value) => value;

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
 * What the ObjectStack kernel reads in addition: one call syncs many objects, the date
 * buckets `aggregate` computes in SQL (UTC; the engine buckets other time zones), and
 * autonumbers numbered by the driver (per tenant, persistent).
 */
const { indexes: _indexes, ...KERNEL_BASE } = SUPPORTS;
/**
 * (The kernel's drivers dropped the `indexes` bit: materialising declared indexes is not
 * optional for them, and nothing read the flag.)
 */
const KERNEL_SUPPORTS = Object.freeze({
  ...KERNEL_BASE,
  batchSchemaSync: true,
  autonumber: true,
  queryDateGranularity: Object.freeze({ day: true, week: true, month: true, quarter: true, year: true }),
});

/** The kernel picks its SQL dialect from `config.client`; this is knex's SQLite name. */
const SQLITE_CLIENT = 'better-sqlite3';

const isPlainObject = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);

/**
 * What differs between the two APIs the driver serves, in one place: the ObjectQL 4.2.2
 * API (`objectql`, the default, for direct callers) and the ObjectStack kernel
 * (`objectstack`, what `TursoDriverPlugin` sets). Rust keeps the semantic differences
 * (filters, audit columns, field types: `Contract` in `core/src/config.rs`); this table
 * keeps the shapes.
 */
const CONTRACTS = Object.freeze({
  objectql: Object.freeze({
    supports: SUPPORTS,
    /** count/updateMany/deleteMany take the filter itself. */
    filterOf: (arg) => arg,
    /** Objects and arrays cross as JSON text; a string in a JSON field is JSON already. */
    valuesAsIs: false,
    updateMissing: (id, data) => ({ id, ...data }),
    deleted: (deleted) => ({ deleted }),
    updatedMany: (n) => ({ affected: n, modifiedCount: n }),
    deletedMany: (n) => ({ affected: n, deletedCount: n }),
    /** bulkCreate and bulkUpdate answer with counts. */
    returnsRows: false,
    /** The kernel's `[tenant-audit]` of tenantless writes (its deployments have a posture). */
    auditsTenants: false,
    executeResult: (result) => result,
  }),
  objectstack: Object.freeze({
    supports: KERNEL_SUPPORTS,
    /** The kernel sends a query (`{ object, where }`). */
    filterOf: (arg) =>
      isPlainObject(arg) && ('where' in arg || 'object' in arg || 'filters' in arg) ? arg.where : arg,
    valuesAsIs: true,
    updateMissing: () => null,
    deleted: (deleted) => deleted,
    updatedMany: (n) => n,
    deletedMany: (n) => n,
    returnsRows: true,
    auditsTenants: true,
    /** What knex's raw() answers: the rows of a query, `{ changes, lastInsertRowid }` else. */
    executeResult: (result) =>
      result.columns.length > 0
        ? result.rows
        : { changes: result.rowsAffected, lastInsertRowid: result.lastInsertRowid },
  }),
});

/**
 * Options that shape what the driver does rather than where it connects: kept off
 * `driver.config` (the kernel reads that as the connection's description).
 */
const BEHAVIOUR_OPTIONS = [
  'schemaMode',
  'autoMigrate',
  'sqliteJournalMode',
  'sqliteAbsentFile',
  'logger',
  'cacheSizeKiB',
];

/** The environment variable a deployment sets when its filesystem cannot host WAL. */
const JOURNAL_MODE_ENV = 'OS_DATABASE_SQLITE_JOURNAL_MODE';

/**
 * The journal mode to ask for: the driver's own `sqliteJournalMode`, else the deployment's
 * environment. An unrecognised environment value is reported and WAL kept (a typo must not
 * quietly serialize the database); an unrecognised option is refused by the native config.
 */
function journalModeFromEnv(config, notices) {
  if (config.sqliteJournalMode !== undefined) return config;
  const fromEnv = String(process.env[JOURNAL_MODE_ENV] ?? '')
    .trim()
    .toLowerCase();
  if (fromEnv === '') return config;
  if (fromEnv === 'wal' || fromEnv === 'delete') return { ...config, sqliteJournalMode: fromEnv };
  notices.push({
    level: 'warn',
    message: `Ignoring SQLite journal mode '${fromEnv}' (expected 'wal' or 'delete') — using 'wal'`,
  });
  return config;
}

/**
 * Where the driver's warnings and diagnostics go unless `config.logger` or a later
 * `driver.logger =` names another sink: the console. Among them the full text of refusals
 * whose details were withheld from the caller (see lib/provenance.js), and DATABASE_ERRORs.
 * One per driver, so a test can spy on it.
 */
const consoleLogger = () => ({
  warn: (message, meta) => console.warn(message, meta ?? ''),
  error: (message, meta) => console.error(message, meta ?? ''),
});

/** Config the driver cannot serve yet, refused at construction rather than run local-only. */
function refuseUnservable(config) {
  if (!isPlainObject(config)) return;
  for (const key of ['timeout', 'concurrency']) {
    const value = config[key];
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw makeError(
        'CONFIG_ERROR',
        `Turso driver option "${key}" must be a finite non-negative number, got ${value}.`,
      );
    }
  }
  if (config.client !== undefined && config.client !== null && typeof config.client !== 'string') {
    throw makeError(
      'CONFIG_ERROR',
      'Turso driver option "client" (an injected @libsql/client instance) is not supported: this driver ' +
        'opens its own connections in Rust. Pass "url" (and "authToken") instead.',
    );
  }
}

/** The native TenantSchema a router gave as `config[kSharedSchema]`, or null. */
function sharedSchemaOf(config) {
  if (!isPlainObject(config)) return null;
  const schema = config[kSharedSchema];
  if (schema === undefined || schema === null) return null;
  const handle = nativeSchemaOf(schema);
  if (handle === undefined) {
    throw makeError('CONFIG_ERROR', 'Turso driver option [kSharedSchema] must be a TenantSchema.');
  }
  return handle;
}

class TursoDriver {
  #native;
  /** A libSQL server or an embedded replica: native calls answer with Promises. */
  #remote = false;
  /** An embedded replica (`syncUrl`): synced every `sync.intervalSeconds`. */
  #replica = false;
  #onSyncError;
  /** The periodic sync's timer while connected (unref'd: it never keeps Node alive). */
  #syncTimer;
  /** The API served: one entry of CONTRACTS. */
  #contract;
  #config;
  /** Notices raised in JS before the native driver could (the environment's journal mode). */
  #pending = [];
  #tenantAudit = new TenantAudit();

  /**
   * Where the driver reports what does not fail a call: schema drift left for a migration,
   * a journal mode the filesystem refused, a write without a tenant on a walled deployment.
   * `{ warn(message, meta?), error?(message, meta?) }`; the `logger` option, else the console.
   */
  logger = consoleLogger();

  constructor(config) {
    this.name = 'TursoDriver';
    this.version = version;
    this.#contract = CONTRACTS.objectql;
    this.supports = this.#contract.supports;
    this.#config = config;
    try {
      if (config?.contract === 'objectstack') this.#contract = CONTRACTS.objectstack;
      this.supports = this.#contract.supports;
      if (isPlainObject(config)) {
        const described = { ...config, client: SQLITE_CLIENT };
        for (const key of BEHAVIOUR_OPTIONS) delete described[key];
        delete described[kSharedSchema];
        this.config = described;
      } else {
        this.config = config;
      }
      refuseUnservable(config);
      if (isPlainObject(config) && config.logger !== undefined) {
        if (typeof config.logger?.warn !== 'function') {
          throw makeError(
            'CONFIG_ERROR',
            'Turso driver option "logger" must have a warn(message, meta?) method.',
          );
        }
        this.logger = config.logger;
      }
      // Functions stay in JS: the periodic sync's error callback is called from here.
      const {
        client: _client,
        onSyncError,
        logger: _logger,
        ...rest
      } = isPlainObject(config) ? journalModeFromEnv(config, this.#pending) : {};
      if (onSyncError !== undefined && typeof onSyncError !== 'function') {
        throw makeError(
          'CONFIG_ERROR',
          'Turso driver option "onSyncError" must be a function (error) => void.',
        );
      }
      const { mode, ...native } = isPlainObject(config) ? rest : {};
      delete native[kSharedSchema];
      this.#native = new NativeDriver(
        isPlainObject(config) ? native : (config ?? {}),
        sharedSchemaOf(config),
      );
      const transport = this.#native.transport;
      if (mode !== undefined && mode !== transport) {
        // The kernel's Turso driver lets `mode` force a transport; here the url decides,
        // and a mode that disagrees with it is refused rather than ignored.
        throw makeError(
          'CONFIG_ERROR',
          `Turso driver option "mode" is ${JSON.stringify(mode)}, but "url"${config.syncUrl ? ' with "syncUrl"' : ''} ` +
            `makes a ${transport} database here; remove "mode" or change the url.`,
        );
      }
      this.#remote = transport !== 'local';
      this.#replica = transport === 'replica';
      this.#onSyncError = onSyncError;
    } catch (err) {
      const error = toObjectQLError(err);
      // A value the binding could not take (`timeout: Infinity`) is a configuration error too.
      if (error.code === 'CONFIG_ERROR') throw error;
      throw makeError('CONFIG_ERROR', `Turso driver configuration: ${error.message}`);
    }
  }

  /** How statements reach the database: a libSQL server, an embedded replica, or in process. */
  get transportMode() {
    if (this.#replica) return 'replica';
    return this.#remote ? 'remote' : 'local';
  }

  /** Whether statements go to a libSQL server (not a replica's local file, not in process). */
  get isRemote() {
    return this.#remote && !this.#replica;
  }

  /** Whether this is an embedded replica, synced with its primary. */
  isSyncEnabled() {
    return this.#replica;
  }

  /**
   * Starts the replica's periodic sync (once per connection). A sync that fails is
   * reported to `onSyncError` (else as one process warning) and the replica keeps
   * serving reads; a sync still running when the next is due is not doubled.
   */
  #startPeriodicSync() {
    const seconds = this.#config.sync?.intervalSeconds ?? 60;
    if (this.#syncTimer !== undefined || !(seconds > 0)) return;
    let running = false;
    let warned = false;
    this.#syncTimer = setInterval(() => {
      if (running) return;
      running = true;
      this.sync()
        .catch((err) => {
          if (this.#onSyncError) this.#onSyncError(err);
          else if (!warned) {
            warned = true;
            process.emitWarning(`periodic sync failed (pass onSyncError to handle it): ${err.message}`, {
              code: 'OBJECTQL_TURSO_SYNC',
            });
          }
        })
        .finally(() => {
          running = false;
        });
    }, seconds * 1000);
    this.#syncTimer.unref();
  }

  /** The configuration the driver was made with. */
  getTursoConfig() {
    return this.#config;
  }

  /** Whether `sqliteAbsentFile: 'empty-in-memory'` found no file and opened an empty memory database. */
  get sqliteOpenedEmptyInMemory() {
    return this.#native.openedEmptyInMemory;
  }

  /** The `[tenant-audit]` warning of a tenantless write, where the contract has it. */
  #audit(objectName, op, options) {
    if (!this.#contract.auditsTenants) return;
    try {
      this.#tenantAudit.check(
        objectName,
        op,
        options,
        (object) => this.#native.tenantField(object),
        this.logger ?? consoleLogger(),
      );
    } catch {
      // Options whose inspection throws are refused by the call itself.
    }
  }

  /** Hands what the native driver (and this layer) reported to the logger. */
  #report() {
    const notices = [...this.#pending.splice(0), ...this.#native.takeNotices()];
    for (const { level, message } of notices) {
      const log = this.logger ?? consoleLogger();
      try {
        if (level === 'error' && typeof log.error === 'function') log.error(message);
        else log.warn(message);
      } catch {
        // A logger that throws must not fail the call it reports on.
      }
    }
  }

  /** Runs `promise` to its end, then reports (also when it rejects). */
  #reporting(promise) {
    return promise.finally(() => this.#report());
  }

  /** No rotation shards: `rotateShards` has nothing to do. */
  get supportsRotation() {
    return false;
  }

  /**
   * Runs a native call and returns its result, shaped by `then`, as a Promise. A local
   * call that found the database locked changed nothing; it is retried with backoff
   * until `timeout`. A remote call's Promise resolves with the value or the native
   * error, thrown here in the caller's realm.
   */
  #run(call, then = same, filter) {
    if (this.#disconnected && this.#onReopen !== undefined) this.#reopened();
    try {
      const result = call();
      if (!this.#remote) return Promise.resolve(then(result));
      if (this.#replica) this.#startPeriodicSync();
      // A replica's read answers at once, like a local call.
      if (typeof result?.then !== 'function') return Promise.resolve(then(result));
      return this.#track(
        result.then((value) => {
          if (isNativeError(value)) throw this.#error(value, filter);
          return then(value);
        }),
      );
    } catch (err) {
      if (isBusy(err)) {
        return this.#track(this.#retryWhenUnlocked(() => then(call()), err, this.#session, filter));
      }
      // Native errors carry a code; anything else came from reading the caller's values.
      const native = typeof err?.code === 'string' || err instanceof ObjectQLError;
      return Promise.reject(native ? this.#error(err, filter) : this.#argumentError(err));
    }
  }

  /** `disconnect()` was called and `connect()` not since. */
  #disconnected = false;
  /** See `[kMigrateOnSync]`. */
  #migrateOnSync = false;
  /** Open transactions: a driver with one is busy (see kBusy). */
  #transactions = 0;
  /** The router's hook (see kOnReopen). */
  #onReopen;

  #reopened() {
    this.#disconnected = false;
    try {
      this.#onReopen(this);
    } catch {
      // The router's bookkeeping must never fail the caller's call.
    }
  }

  get [kBusy]() {
    return this.#transactions > 0 || this.#waiting.size > 0;
  }

  set [kOnReopen](hook) {
    this.#onReopen = hook;
  }

  /** Calls waiting to retry: `disconnect()` settles them before it resolves. */
  #waiting = new Set();
  /** Bumped by `disconnect()`: a call that waited across it must not run afterwards. */
  #session = 0;

  #track(promise) {
    this.#waiting.add(promise);
    const done = () => this.#waiting.delete(promise);
    promise.then(done, done);
    return promise;
  }

  async #retryWhenUnlocked(call, firstError, session, filter) {
    const timeout = this.#native.busyTimeout;
    const deadline = Date.now() + timeout;
    let delay = FIRST_RETRY_MS;
    let last = firstError;
    while (Date.now() < deadline) {
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(delay * 2, MAX_RETRY_MS);
      if (session !== this.#session) {
        // Running it now would reconnect and write after disconnect() returned.
        throw makeError(
          'DRIVER_ERROR',
          'The driver was disconnected while this call waited for a lock held elsewhere; nothing of it ran.',
        );
      }
      try {
        return call();
      } catch (err) {
        if (!isBusy(err)) throw this.#error(err, filter);
        last = err;
      }
    }
    throw makeError(
      'DRIVER_ERROR',
      `The database stayed locked by another transaction for ${timeout} ms (${last.message}); ` +
        'commit or roll back open transactions, or raise the driver "timeout".',
    );
  }

  /**
   * Runs the JS side of a call before it reaches #run: what the caller's arguments throw
   * (a revoked proxy, a throwing getter) is a rejection, never a synchronous throw.
   */
  #guard(prepare) {
    try {
      return prepare();
    } catch (err) {
      return Promise.reject(this.#argumentError(err));
    }
  }

  /** An error thrown while reading the caller's arguments: theirs to fix. */
  #argumentError(err) {
    if (err instanceof ObjectQLError) return err;
    return makeError(
      'INVALID_REQUEST',
      `The call's arguments cannot be read: ${err?.message ?? String(err)}`,
    );
  }

  /**
   * In the codes and envelope of the contract served (see lib/errors.js). `filter` reads
   * the filter the call was given (only here, on failure): a withheld refusal names its
   * subtree's fields only if that subtree is marked as the caller's own.
   */
  #error(err, filter) {
    let root;
    try {
      root = filter?.();
    } catch {
      root = undefined;
    }
    return toObjectQLError(err, {
      kernel: this.#contract === CONTRACTS.objectstack,
      filter: root,
      log: (message) => this.#warn(message),
    });
  }

  /** A diagnostic for the operator, to `this.logger` (a logger that throws is ignored). */
  #warn(message) {
    try {
      this.logger?.warn?.(message);
    } catch {
      // A diagnostic must never turn a refusal into another failure.
    }
  }

  /**
   * What the native call needs of `options`: the transaction, and the tenant the
   * ObjectStack engine scopes the call to (`tenantId`, `tenantIds` in the group posture),
   * `preserveAudit`, and today's date in `timezone` for autonumbers. In the cheapest
   * form that says it (see `JsCall` in src/convert.rs): nothing, the transaction id, the
   * tenant id, or `[tx, tenantId, tenantIds, preserveAudit, today]`.
   */
  #call(options) {
    const tx = this.#tx(options);
    if (options == null || typeof options !== 'object') return tx;
    const { tenantId, tenantIds, preserveAudit, timezone } = options;
    // Which tenant ids scope a call is the core's rule (`Tenant::from_options`): they cross as given.
    const plain = tenantIds === undefined && preserveAudit !== true && timezone === undefined;
    if (plain && (tenantId === undefined || tenantId === null)) return tx;
    if (plain && tx === undefined && typeof tenantId === 'string') return tenantId;
    return [
      tx,
      tenantId,
      tenantIds,
      preserveAudit === true,
      typeof timezone === 'string' ? today(timezone) : undefined,
    ];
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

  /**
   * Like #run, for calls that take options: a foreign transaction handle rejects too.
   * `filter` returns the call's filter, read only if the call fails (see #error).
   */
  #runIn(options, call, then, filter) {
    let opts;
    try {
      opts = this.#call(options);
    } catch (err) {
      return Promise.reject(this.#argumentError(err));
    }
    return this.#run(() => call(opts), then, filter);
  }

  // --- lifecycle ------------------------------------------------------------------------

  connect() {
    this.#disconnected = false;
    return this.#reporting(this.#run(() => this.#native.connect()));
  }

  /**
   * A tenant driver (see lib/tenant-schema.js): brings its open database to the newest
   * shared definitions now; a closed one is brought at its next open. Other drivers: a no-op.
   */
  [kApplySharedSchema]() {
    return this.#reporting(this.#run(() => this.#native.applySharedSchema()));
  }

  /**
   * Closes the database (open transactions roll back). Calls still waiting for a lock are
   * settled first, with an error, and none of them runs afterwards; a call made after
   * this reconnects, as 4.2.2 connected lazily.
   */
  async disconnect() {
    this.#session++;
    this.#disconnected = true;
    // SQLite rolls them back as the connections close.
    this.#transactions = 0;
    clearInterval(this.#syncTimer);
    this.#syncTimer = undefined;
    const waiting = [...this.#waiting];
    // A remote call under way is on the wire already: it is let finish (within the
    // timeout) rather than run on after this resolves.
    if (this.#remote) await Promise.allSettled(waiting);
    try {
      this.#native.disconnect();
    } catch (err) {
      throw this.#error(err);
    } finally {
      await Promise.allSettled(waiting);
    }
  }

  /** Never rejects: a database that cannot answer (in time) is not healthy. */
  checkHealth() {
    // The kernel's health probe after `disconnect()` answers false; reopening the database
    // to say "healthy" would report on a connection the app closed.
    if (this.#disconnected && this.#contract === CONTRACTS.objectstack && !this.#native.connected) {
      return Promise.resolve(false);
    }
    return this.#run(() => this.#native.checkHealth()).catch(() => false);
  }

  /**
   * An embedded replica pulls what its primary has: `{ frame_no, frames_synced }`. A
   * no-op resolving to undefined for other databases.
   */
  sync() {
    if (!this.#replica) return Promise.resolve(undefined);
    return this.#run(() => this.#native.sync());
  }

  getPoolStats() {
    return undefined;
  }

  // --- schema ---------------------------------------------------------------------------

  init(objects) {
    // Read at each sync, as the kernel does: production schema only ever grows.
    const production = process.env.NODE_ENV === 'production';
    const sync = () => this.#reporting(this.#run(() => this.#native.syncSchema(objects, production)));
    // The plan first: refused, it leaves the database as it was; applied, sync finds the
    // tables as it would have made them and adds what is the driver's own (counters, marks).
    return this.#migrateOnSync ? this.#migrateTo(objects).then(sync) : sync();
  }

  /**
   * Set by `TursoDriverPlugin({ autoMigrate: true })`: each sync also applies the safe
   * migration plan of its objects (type changes, NOT NULL and default changes, indexes),
   * never a destructive action.
   */
  [kMigrateOnSync]() {
    this.#migrateOnSync = true;
  }

  async #migrateTo(objects) {
    const list = Array.isArray(objects) ? objects : [objects];
    const plan = await this.planMigration(list, { scope: 'objects' });
    if (plan.statements.length > 0 || plan.blocked.length > 0) await this.applyMigrationPlan(plan);
  }

  // --- safe migrations --------------------------------------------------------------------

  /**
   * The plan that brings the database to `objects`: its actions (with the counts a person
   * needs: rows, values that will not convert, what a drop destroys), the statements that
   * apply it in one transaction, what is destructive, blocked or skipped, and the
   * fingerprint of the schema it was made against.
   */
  planMigration(objects, options) {
    return this.#run(() => this.#native.planMigration(objects, options ?? null));
  }

  /**
   * Applies a plan of `planMigration` in one transaction: `{ applied, logs, duration,
   * fingerprint }`. Refused, with nothing applied, when it is blocked or its data checks
   * fail (`MIGRATION_REFUSED`) or the schema changed since it was made (`SCHEMA_DRIFT`).
   */
  applyMigrationPlan(plan) {
    return this.#run(() => this.#native.applyMigrationPlan(plan));
  }

  /** `executeMigrations(driver, statements)`: the statements in one transaction, all or none. */
  executeMigrations(statements) {
    return this.#run(() => this.#native.executeMigrations(statements));
  }

  /** The SHA-256 fingerprint of the schema (tables, indexes, triggers, views) now. */
  schemaFingerprint() {
    return this.#run(() => this.#native.schemaFingerprint());
  }

  /** `syncSchema(objects)` (4.2.2) or `syncSchema(name, schema)` (the kernel). */
  syncSchema(objects, schema) {
    return this.#guard(() =>
      typeof objects === 'string' ? this.init([{ ...schema, name: objects }]) : this.init(objects),
    );
  }

  /** The kernel's batch form: `[{ object, schema }]`, all in one transaction. */
  syncSchemasBatch(batch) {
    return this.#guard(() =>
      this.init(Array.isArray(batch) ? batch.map((b) => ({ ...b?.schema, name: b?.object })) : batch),
    );
  }

  dropTable(objectName, _options) {
    return this.#run(() => this.#native.dropTable(objectName));
  }

  introspectSchema() {
    return this.#run(() => this.#native.introspectSchema());
  }

  /** The kernel's name for `init`. */
  initObjects(objects) {
    return this.init(objects);
  }

  /**
   * Learns object definitions without touching the database: what the kernel calls when
   * the app boots with schema sync skipped, so kinds, tenant fields and autonumbers are
   * known all the same.
   */
  registerObjectMetadata(objects) {
    return this.#run(() => this.#native.registerObjects(objects));
  }

  /** Learns an object whose table this driver does not manage (`external.remoteName`). */
  registerExternalObject(schema) {
    return this.#run(() => this.#native.registerExternal(schema));
  }

  /** `{ created, existing }`: tables schema sync created since connect, and ones it found. */
  getSchemaSyncStats() {
    try {
      return this.#native.syncStats();
    } catch (err) {
      throw this.#error(err);
    }
  }

  /**
   * A comparand for raw SQL against `field` (the kernel's analytics hook): a date, date-time
   * or time in the form the column stores, anything else as given.
   */
  temporalFilterValue(objectName, field, value) {
    try {
      return this.#native.temporalFilterValue(objectName, field, value);
    } catch (err) {
      throw this.#error(err);
    }
  }

  /**
   * What raw SQL should compare for `columnSql`, a reference to `field`: the column, or its
   * stored form where rows older writers left may hold other forms.
   */
  temporalFilterColumnSql(objectName, field, columnSql) {
    try {
      return this.#native.temporalFilterColumnSql(objectName, field, columnSql);
    } catch (err) {
      throw this.#error(err);
    }
  }

  /** Frees the pages of deleted rows where the file allows it, and refreshes statistics. */
  reclaimSpace() {
    return this.#run(() => this.#native.reclaimSpace());
  }

  /** No table is sharded by time here (`supportsRotation` is false). */
  rotateShards() {
    return Promise.resolve({ created: [], dropped: [] });
  }

  // --- reads ----------------------------------------------------------------------------

  find(objectName, query, options) {
    return this.#runIn(
      options,
      (opts) => this.#native.find(objectName, query, opts),
      toRows,
      () => query?.where,
    );
  }

  /** By id (`findOne(object, id, query?, options?)`) or by query (`findOne(object, query, options?)`). */
  findOne(objectName, id, query, options) {
    return this.#guard(() =>
      this.#runIn(
        isPlainObject(id) && options === undefined ? query : options,
        (opts) => this.#native.findOne(objectName, id, opts),
        toRow,
        () => (isPlainObject(id) ? id.where : undefined),
      ),
    );
  }

  count(objectName, filters, options) {
    const filter = () => this.#contract.filterOf(filters);
    return this.#runIn(options, (opts) => this.#native.count(objectName, filter(), opts), same, filter);
  }

  distinct(objectName, field, filters, options) {
    return this.#runIn(
      options,
      (opts) => this.#native.distinct(objectName, field, filters, opts),
      same,
      () => filters,
    );
  }

  aggregate(objectName, query, options) {
    return this.#runIn(
      options,
      (opts) => this.#native.aggregate(objectName, query, opts),
      toRows,
      () => query?.where,
    );
  }

  /**
   * How `find(objectName, query)` would run. The kernel's shape (`analyzeQuery`):
   * `{ sql, bindings, client, plan }`; the 4.2.2 API's: the rows of EXPLAIN QUERY PLAN.
   */
  explain(objectName, query, options) {
    if (this.#contract === CONTRACTS.objectstack) return this.analyzeQuery(objectName, query, options);
    return this.#runIn(
      options,
      (opts) => this.#native.explain(objectName, query, opts),
      toRows,
      () => query?.where,
    );
  }

  /** `{ sql, bindings, client, plan }` of the find `query` (`error` instead of `plan` if SQLite cannot plan it). */
  analyzeQuery(objectName, query, options) {
    return this.#runIn(
      options,
      (opts) => this.#native.analyzeQuery(objectName, query, opts),
      undefined,
      () => query?.where,
    );
  }

  /**
   * A find whose rows also carry ranking window functions:
   * `{ where?, orderBy?, limit?, offset?, windowFunctions: [{ function, alias, partitionBy?, orderBy? }] }`,
   * `function` one of ROW_NUMBER, RANK, DENSE_RANK, PERCENT_RANK, CUME_DIST.
   */
  findWithWindowFunctions(objectName, query, options) {
    return this.#runIn(
      options,
      (opts) => this.#native.findWithWindowFunctions(objectName, query, opts),
      toRows,
      () => query?.where,
    );
  }

  // --- writes ---------------------------------------------------------------------------

  create(objectName, data, options) {
    this.#audit(objectName, 'create', options);
    return this.#runIn(
      options,
      (opts) => {
        const [keys, values, json] = encodeRecord(data, this.#contract.valuesAsIs);
        return this.#native.create(objectName, keys, values, json, opts);
      },
      toRow,
    );
  }

  /**
   * Insert, or update the row that conflicts. `upsert(object, data, options?)` (4.2.2,
   * on the id) or `upsert(object, data, conflictKeys, options?)` (the kernel).
   */
  upsert(objectName, data, conflictKeys, options) {
    return this.#guard(() => {
      const keyed = Array.isArray(conflictKeys);
      const conflict = keyed ? conflictKeys.filter((k) => typeof k === 'string') : [];
      // The kernel's form with no keys (`upsert(object, data, undefined, options)`) still
      // has its options in fourth place.
      const kernelForm = keyed || (conflictKeys == null && options !== undefined);
      this.#audit(objectName, 'upsert', kernelForm ? options : conflictKeys);
      return this.#runIn(
        kernelForm ? options : conflictKeys,
        (opts) => {
          const [keys, values, json] = encodeRecord(data, this.#contract.valuesAsIs);
          return this.#native.upsert(objectName, keys, values, json, conflict, opts);
        },
        toRow,
      );
    });
  }

  /** The stored record, or for an unknown id the contract's answer (`null` / `{ id, ...data }`). */
  update(objectName, id, data, options) {
    this.#audit(objectName, 'update', options);
    return this.#runIn(
      options,
      (opts) => {
        // No data: nothing to change (4.2.2 answered with the stored record).
        const [keys, values, json] = encodeRecord(data ?? {}, this.#contract.valuesAsIs);
        return this.#native.update(objectName, id, keys, values, json, opts);
      },
      (row) => toRow(row) ?? this.#contract.updateMissing(id, data),
    );
  }

  delete(objectName, id, options) {
    this.#audit(objectName, 'delete', options);
    return this.#runIn(options, (opts) => this.#native.delete(objectName, id, opts), this.#contract.deleted);
  }

  updateMany(objectName, filters, data, options) {
    this.#audit(objectName, 'updateMany', options);
    const filter = () => this.#contract.filterOf(filters);
    return this.#runIn(
      options,
      (opts) => {
        const [keys, values, json] = encodeRecord(data ?? {}, this.#contract.valuesAsIs);
        return this.#native.updateMany(objectName, filter(), keys, values, json, opts);
      },
      this.#contract.updatedMany,
      filter,
    );
  }

  deleteMany(objectName, filters, options) {
    this.#audit(objectName, 'deleteMany', options);
    const filter = () => this.#contract.filterOf(filters);
    return this.#runIn(
      options,
      (opts) => this.#native.deleteMany(objectName, filter(), opts),
      this.#contract.deletedMany,
      filter,
    );
  }

  /** All records in one transaction: the stored rows (kernel) or how many (4.2.2; `[]` for none). */
  bulkCreate(objectName, records, options) {
    return this.#guard(() => {
      if (Array.isArray(records) && records.length === 0) return Promise.resolve([]);
      this.#audit(objectName, 'bulkCreate', options);
      const returning = this.#contract.returnsRows;
      return this.#runIn(options, (opts) => {
        const [shapes, counts, values, json] = encodeRecords(records, this.#contract.valuesAsIs);
        return this.#native.bulkCreate(objectName, shapes, counts, values, json, returning, opts);
      });
    });
  }

  /** `[{ id, data }]` in one transaction: the updated rows (kernel) or how many changed (4.2.2). */
  bulkUpdate(objectName, updates, options) {
    return this.#guard(() => {
      if (Array.isArray(updates) && updates.length === 0) return Promise.resolve([]);
      this.#audit(objectName, 'update', options);
      const returning = this.#contract.returnsRows;
      return this.#runIn(options, (opts) => {
        const ids = Array.isArray(updates) ? updates.map((u) => u?.id) : updates;
        const changes = Array.isArray(updates) ? updates.map((u) => u?.data ?? {}) : updates;
        const [shapes, counts, values, json] = encodeRecords(changes, this.#contract.valuesAsIs);
        return this.#native.bulkUpdate(objectName, ids, shapes, counts, values, json, returning, opts);
      });
    });
  }

  bulkDelete(objectName, ids, options) {
    return this.#guard(() => {
      if (Array.isArray(ids) && ids.length === 0) return Promise.resolve([]);
      this.#audit(objectName, 'bulkDelete', options);
      return this.#runIn(options, (opts) => this.#native.bulkDelete(objectName, ids, opts));
    });
  }

  // --- raw SQL and the DriverInterface v4 entry points ----------------------------------

  /** `command` is SQL (with `parameters`) or `{ sql, args }`. */
  execute(command, parameters, options) {
    return this.#guard(() => this.#execute(command, parameters, options));
  }

  #execute(command, parameters, options) {
    const [sql, args] =
      typeof command === 'string' ? [command, parameters ?? []] : [command?.sql, command?.args ?? []];
    if (typeof sql !== 'string') {
      throw makeError(
        'INVALID_REQUEST',
        `execute needs SQL text: a string, or { sql, args }; got ${command === null ? 'null' : typeof command}`,
      );
    }
    return this.#runIn(
      options,
      (opts) => this.#native.execute(sql, args, opts),
      this.#contract.executeResult,
    );
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
          const result = await this.delete(object, command.id, options);
          const deleted = typeof result === 'boolean' ? result : result.deleted;
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
    return this.#run(
      () => this.#native.beginTransaction(),
      (id) => {
        this.#transactions++;
        return new TursoTransaction(id, this);
      },
    );
  }

  commit(transaction) {
    return this.#ending(transaction, 'commit', (id) => this.#native.commit(id));
  }

  rollback(transaction) {
    return this.#ending(transaction, 'rollback', (id) => this.#native.rollback(id));
  }

  /** A commit or rollback of one of this driver's transactions: over when it settles. */
  #ending(transaction, method, end) {
    return this.#guard(() => {
      const id = this.#handle(transaction, method);
      const settled = () => {
        this.#transactions = Math.max(0, this.#transactions - 1);
      };
      const done = this.#run(() => end(id));
      done.then(settled, settled);
      return done;
    });
  }

  /** The native id of `transaction`, a handle this driver's beginTransaction() returned. */
  #handle(transaction, method) {
    if (!(transaction instanceof TursoTransaction) || TursoTransaction.ownerOf(transaction) !== this) {
      const got =
        transaction === null || transaction === undefined ? String(transaction) : typeof transaction;
      throw makeError(
        'DRIVER_ERROR',
        `${method}() needs the transaction handle that this driver's beginTransaction() returned; got ${got}`,
      );
    }
    return transaction.id;
  }

  commitTransaction(transaction) {
    return this.commit(transaction);
  }

  rollbackTransaction(transaction) {
    return this.rollback(transaction);
  }
}

const toCount = (result) => (typeof result === 'number' ? result : Array.isArray(result) ? result.length : 0);

/** The native id of the transaction `commit`/`rollback` was given. */

/** `YYYY-MM-DD` of now in an IANA time zone (UTC when the zone is unknown). */
function today(timezone) {
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

function createTursoDriver(config) {
  return new TursoDriver(config);
}

module.exports = {
  TursoDriver,
  TursoTransaction,
  createTursoDriver,
  SUPPORTS,
  kBusy,
  kOnReopen,
  kMigrateOnSync,
};
