'use strict';

// The one driver service TursoDriverPlugin registers in multi-tenant mode: each call goes
// to its tenant's database (through the router), calls without a tenant to the control
// database. The ObjectStack engine names the tenant in `options.tenantId` on calls for
// tenant-scoped objects, but not on all of them: inside a tenant's operation it also makes
// system calls without one (its reference check before an insert). The plugin's engine
// middleware therefore keeps the tenant of the operation under way as an ambient value
// (AsyncLocalStorage), and a call with no tenant of its own takes that one.
//
// Where a call goes, in order: the tenant its transaction is bound to; `options.tenantId`;
// the ambient tenant; else the control database. Objects named `sys_*` (the kernel's
// users, sessions, organizations) always live in the control database.

const { AsyncLocalStorage } = require('async_hooks');

const { makeError } = require('./errors.js');
const { kPeek, kTenantSetup } = require('./router.js');

/** Where each data method takes its options (`findOne` takes them at 2 or 3; see below). */
const OPTIONS_AT = Object.freeze({
  find: 2,
  count: 2,
  distinct: 3,
  aggregate: 2,
  explain: 2,
  analyzeQuery: 2,
  findWithWindowFunctions: 2,
  create: 2,
  upsert: 3,
  update: 3,
  delete: 2,
  updateMany: 3,
  deleteMany: 2,
  bulkCreate: 2,
  bulkUpdate: 2,
  bulkDelete: 2,
});

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The kernel's own objects: one set for the deployment, in the control database. */
const isControlObject = (object) => typeof object === 'string' && object.startsWith('sys_');

/** `ql.transaction()` begins with no tenant: the handle binds to the tenant of its first call. */
class RoutedTransaction {
  /** The tenant (undefined: the control database) and the transaction on its driver. */
  tenantId;
  driver;
  inner;
  /** The binding under way or done (calls of one transaction may arrive together). */
  binding;
}

class TenantRoutingDriver {
  #router;
  #control;
  #ambient;
  /** The objects every tenant database has, by name (sys_* excluded): the last definition wins. */
  #objects = new Map();
  /** Objects whose definitions are registered without DDL, and external ones, likewise. */
  #registered = new Map();
  #external = new Map();

  constructor({ router, control, ambient = new AsyncLocalStorage() }) {
    this.#router = router;
    this.#control = control;
    this.#ambient = ambient;
    this.name = control.name;
    this.version = control.version;
    this.supports = control.supports;
    this.config = control.config;
    for (const [method, at] of Object.entries(OPTIONS_AT)) {
      this[method] = (...args) => this.#dispatch(method, args[0], args, at);
    }
  }

  /** The engine middleware's side: runs `next` with `tenantId` as the ambient tenant. */
  runAs(tenantId, next) {
    return this.#ambient.run(tenantId, next);
  }

  get logger() {
    return this.#control.logger;
  }

  set logger(logger) {
    this.#control.logger = logger;
  }

  /** By id (`findOne(object, id, query?, options?)`) or by query (`findOne(object, query, options?)`). */
  findOne(object, id, query, options) {
    const at = isPlainObject(id) && options === undefined ? 2 : 3;
    return this.#dispatch('findOne', object, [object, id, query, options], at);
  }

  execute(command, parameters, options) {
    return this.#dispatch('execute', undefined, [command, parameters, options], 2);
  }

  /**
   * Calls `method` with `args` (its options at `args[at]`) on the driver they go to; a
   * cached tenant's without waiting a turn.
   */
  #dispatch(method, object, args, at) {
    const options = args[at];
    let tx;
    let tenant;
    try {
      tx = options?.transaction ?? options?.context?.transaction;
      tenant = isControlObject(object)
        ? undefined
        : (tenantOf(options?.tenantId) ?? this.#ambient.getStore());
    } catch (err) {
      return Promise.reject(err);
    }
    if (tx != null) return this.#inTransaction(method, object, args, at, tx, tenant);
    if (tenant === undefined) return this.#control[method](...args);
    const cached = this.#router[kPeek](tenant);
    if (cached !== undefined) return cached[method](...args);
    return this.#router.getDriverForTenant(tenant).then((driver) => driver[method](...args));
  }

  async #inTransaction(method, object, args, at, tx, tenant) {
    if (!(tx instanceof RoutedTransaction)) {
      throw makeError(
        'DRIVER_ERROR',
        'options.transaction is not a transaction of this driver; pass the handle returned by its beginTransaction()',
      );
    }
    tx.binding ??= this.#bind(tx, tenant);
    await tx.binding;
    // A call with no tenant of its own joins the transaction's; one for another database cannot.
    const joins = isControlObject(object)
      ? tx.tenantId === undefined
      : tenant === undefined || tenant === tx.tenantId;
    if (!joins) {
      const where = (t) => (t === undefined ? 'the control database' : `tenant '${t}'`);
      throw makeError(
        'INVALID_REQUEST',
        `This transaction belongs to ${where(tx.tenantId)}; a call on '${object}' for ` +
          `${where(isControlObject(object) ? undefined : tenant)} cannot join it (one transaction, one database). ` +
          'Run it outside the transaction, or in a transaction of its own.',
      );
    }
    const out = [...args];
    out[at] = { ...args[at], transaction: tx.inner };
    return tx.driver[method](...out);
  }

  async #bind(tx, tenant) {
    tx.tenantId = tenant;
    tx.driver = await this.#driverOf(tenant);
    tx.inner = await tx.driver.beginTransaction();
  }

  #driverOf(tenant) {
    return tenant === undefined ? this.#control : this.#router.getDriverForTenant(tenant);
  }

  // --- transactions ---------------------------------------------------------------------

  beginTransaction() {
    return Promise.resolve(new RoutedTransaction());
  }

  async commit(transaction) {
    const tx = await this.#bound(transaction, 'commit');
    if (tx !== undefined) await tx.driver.commit(tx.inner);
  }

  async rollback(transaction) {
    const tx = await this.#bound(transaction, 'rollback');
    if (tx !== undefined) await tx.driver.rollback(tx.inner);
  }

  commitTransaction(transaction) {
    return this.commit(transaction);
  }

  rollbackTransaction(transaction) {
    return this.rollback(transaction);
  }

  /** The transaction once bound; undefined when no call ever joined it (nothing to end). */
  async #bound(transaction, method) {
    if (!(transaction instanceof RoutedTransaction)) {
      throw makeError(
        'DRIVER_ERROR',
        `${method}() needs the transaction handle that this driver's beginTransaction() returned`,
      );
    }
    if (transaction.binding === undefined) return undefined;
    await transaction.binding;
    return transaction;
  }

  // --- schema: the control database now, every tenant database as it opens --------------

  async syncSchema(objects, schema) {
    const list = typeof objects === 'string' ? [{ ...schema, name: objects }] : objects;
    await this.#control.syncSchema(objects, schema);
    await this.#reachTenants(this.#objects, list);
  }

  async syncSchemasBatch(batch) {
    await this.#control.syncSchemasBatch(batch);
    const list = Array.isArray(batch) ? batch.map((b) => ({ ...b?.schema, name: b?.object })) : [];
    await this.#reachTenants(this.#objects, list);
  }

  init(objects) {
    return this.syncSchema(objects);
  }

  initObjects(objects) {
    return this.syncSchema(objects);
  }

  async registerObjectMetadata(objects) {
    await this.#control.registerObjectMetadata(objects);
    await this.#reachTenants(this.#registered, Array.isArray(objects) ? objects : []);
  }

  async registerExternalObject(schema) {
    await this.#control.registerExternalObject(schema);
    await this.#reachTenants(this.#external, [schema]);
  }

  /** Drops the control database's table; tenant databases keep theirs (a drop is no sync). */
  async dropTable(object, options) {
    this.#objects.delete(object);
    await this.#control.dropTable(object, options);
    await this.#router[kTenantSetup](this.#setup());
  }

  async #reachTenants(into, objects) {
    for (const def of objects) {
      if (isPlainObject(def) && typeof def.name === 'string' && !isControlObject(def.name))
        into.set(def.name, def);
    }
    await this.#router[kTenantSetup](this.#setup());
  }

  /** What a tenant driver runs when it opens (and open ones now): one call of each kind. */
  #setup() {
    const calls = [];
    if (this.#registered.size > 0) calls.push(['registerObjectMetadata', [[...this.#registered.values()]]]);
    for (const schema of this.#external.values()) calls.push(['registerExternalObject', [schema]]);
    if (this.#objects.size > 0) calls.push(['syncSchema', [[...this.#objects.values()]]]);
    return calls;
  }

  // --- the control database -------------------------------------------------------------

  connect() {
    return this.#control.connect();
  }

  /** Closes the control database and every tenant database. */
  async disconnect() {
    await Promise.allSettled([this.#router.destroyAll(), this.#control.disconnect()]);
  }

  checkHealth() {
    return this.#control.checkHealth();
  }

  introspectSchema() {
    return this.#control.introspectSchema();
  }

  getSchemaSyncStats() {
    return this.#control.getSchemaSyncStats();
  }

  temporalFilterValue(object, field, value) {
    return this.#control.temporalFilterValue(object, field, value);
  }

  temporalFilterColumnSql(object, field, columnSql) {
    return this.#control.temporalFilterColumnSql(object, field, columnSql);
  }

  reclaimSpace() {
    return this.#control.reclaimSpace();
  }

  rotateShards() {
    return this.#control.rotateShards();
  }

  get supportsRotation() {
    return false;
  }

  getPoolStats() {
    return undefined;
  }

  getTursoConfig() {
    return this.#control.getTursoConfig();
  }
}

/**
 * The tenant `options.tenantId` names, by the core's rule (`Tenant::from_options`): a
 * non-empty string, or a finite number in its decimal form; anything else names none (and
 * scopes nothing in the driver either).
 */
function tenantOf(value) {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

module.exports = { TenantRoutingDriver, RoutedTransaction };
