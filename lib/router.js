'use strict';

// createMultiTenantRouter: one database per tenant, one TursoDriver per open database.
// The rules that make a URL (the tenant id, the templates) are the Rust core's
// (core/src/router); this file is the cache policy, which juggles what only JS holds:
// drivers, the Promises of their creation, and the app's callbacks.
//
// Invariants:
// - every database the router opened is in `#open`, and `#open` stays within the budget
//   (`maxCachedTenants`, and the file descriptors the process may still open);
// - one creation per tenant at a time, however many callers wait for it;
// - only idle drivers are closed to make room (no call or transaction under way), and a
//   driver closed while an app still holds it re-enters the cache on its next call
//   instead of reopening outside the budget.

const { TenantUrls } = require('../native.js');
const { processLimits } = require('./limits.js');
const { TursoDriver, kBusy, kOnReopen } = require('./driver.js');
const { TenantSchema, kSharedSchema, kApplySharedSchema } = require('./tenant-schema.js');
const { makeError, toObjectQLError } = require('./errors.js');

const DEFAULTS = Object.freeze({
  clientCacheTTL: 300_000,
  maxCachedTenants: 100,
  maxConcurrentCreates: 8,
  failureCacheTTL: 5_000,
});

/** File descriptors an open tenant may hold: the database, its WAL and shared memory, one spare. */
const FDS_PER_TENANT = 4;
/** Descriptors left to the rest of the process (sockets, logs, the app's own files). */
const FD_RESERVE = 256;

/** The multi-tenant plugin's hooks: what every tenant database runs as it opens, and a cached driver. */
const kTenantSetup = Symbol('objectql.turso.tenantSetup');
const kPeek = Symbol('objectql.turso.peek');

const CALLBACKS = ['onTenantCreate', 'onTenantDelete', 'onTenantEvict', 'onError'];

/** One open tenant database. */
class Entry {
  constructor(tenantId, driver, now, use) {
    this.tenantId = tenantId;
    this.driver = driver;
    /** When it was last handed out (ms): for the TTL. */
    this.lastUsed = now;
    /** The order it was last handed out in: for least-recently-used (ms ties too often). */
    this.use = use;
  }
}

class MultiTenantRouter {
  #config;
  #urls;
  #overrides;
  #ttl;
  #maxCached;
  #failureTtl;
  /** tenant id -> its current Entry. */
  #entries = new Map();
  /** Every Entry whose database is open, current or not (a handed-out driver that re-entered). */
  #open = new Set();
  /** tenant id -> { promise, cancelled }: the creation every caller for that tenant waits on. */
  #creating = new Map();
  /** tenant id -> { error, until }: a failed creation, re-thrown until `until`. */
  #failures = new Map();
  /** Creations running, and the ones waiting for a slot (maxConcurrentCreates). */
  #running = 0;
  #queue = [];
  #maxCreates;
  /**
   * The definitions every tenant database is brought to as it opens (DDL only where its
   * stored fingerprint differs), and the one catalog all tenant drivers share.
   */
  #schema;
  /** What else every tenant driver runs when it opens: `[method, args]` calls. */
  #setup = [];
  /** Counts hand-outs: the `use` stamp of entries. */
  #uses = 0;

  constructor(config) {
    if (config === null || typeof config !== 'object') {
      throw makeError(
        'CONFIG_ERROR',
        'MultiTenantConfig requires a "urlTemplate" (e.g. \'file:./data/{tenant}.db\').',
      );
    }
    if (typeof config.urlTemplate !== 'string' || config.urlTemplate === '') {
      throw makeError(
        'CONFIG_ERROR',
        'MultiTenantConfig requires a "urlTemplate" (e.g. \'file:./data/{tenant}.db\').',
      );
    }
    for (const name of CALLBACKS) {
      if (config[name] !== undefined && typeof config[name] !== 'function') {
        throw makeError(
          'CONFIG_ERROR',
          `MultiTenantConfig "${name}" must be a function, got ${typeof config[name]}.`,
        );
      }
    }
    const overrides = config.driverConfigOverrides ?? {};
    if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
      throw makeError(
        'CONFIG_ERROR',
        'MultiTenantConfig "driverConfigOverrides" must be an object of driver options.',
      );
    }
    if ('url' in overrides) {
      throw makeError(
        'CONFIG_ERROR',
        'MultiTenantConfig "driverConfigOverrides" cannot set "url": each tenant\'s url comes from "urlTemplate".',
      );
    }
    const syncUrl = overrides.syncUrl;
    if (syncUrl !== undefined && typeof syncUrl !== 'string') {
      throw makeError('CONFIG_ERROR', 'MultiTenantConfig "driverConfigOverrides.syncUrl" must be a string.');
    }
    try {
      this.#urls = new TenantUrls(config.urlTemplate, syncUrl);
    } catch (err) {
      throw toObjectQLError(err);
    }
    this.#config = config;
    this.#overrides = overrides;
    this.#schema = new TenantSchema({
      contract: overrides.contract === 'objectstack' ? 'objectstack' : 'objectql',
    });
    this.#ttl = option(config, 'clientCacheTTL', 0);
    this.#failureTtl = option(config, 'failureCacheTTL', 0);
    this.#maxCreates = option(config, 'maxConcurrentCreates', 1);
    this.#maxCached = Math.min(option(config, 'maxCachedTenants', 1), fdBudget());
  }

  /**
   * A connected driver for `tenantId`, cached until it has been idle `clientCacheTTL` ms.
   * Concurrent first calls share one creation; a creation that failed rejects again, with
   * its error, for `failureCacheTTL` ms.
   */
  getDriverForTenant(tenantId) {
    const cached = this[kPeek](tenantId);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.#slowPath(tenantId, this.#entries.get(tenantId));
  }

  /** The tenant's cached, fresh driver (counted as a use), or undefined: no Promise, no wait. */
  [kPeek](tenantId) {
    const entry = this.#entries.get(tenantId);
    if (entry === undefined) return undefined;
    const now = Date.now();
    if (now - entry.lastUsed >= this.#ttl) return undefined;
    return this.#touch(entry, now);
  }

  /** Counts a hand-out of `entry` (for the TTL and the LRU order); its driver. */
  #touch(entry, now = Date.now()) {
    entry.lastUsed = now;
    entry.use = ++this.#uses;
    return entry.driver;
  }

  async #slowPath(tenantId, expired) {
    if (expired !== undefined) {
      if (expired.driver[kBusy]) {
        // Idle for the TTL but a transaction is open on it: closing would roll it back.
        return this.#touch(expired);
      }
      await this.#close(expired, 'ttl');
    }
    const pending = this.#creating.get(tenantId);
    if (pending !== undefined) return pending.promise;
    const urls = this.#expand(tenantId);
    const failed = this.#failures.get(tenantId);
    if (failed !== undefined) {
      if (Date.now() < failed.until) throw failed.error;
      this.#failures.delete(tenantId);
    }
    const creation = { promise: undefined, cancelled: false };
    creation.promise = this.#create(tenantId, urls, creation).finally(() => {
      if (this.#creating.get(tenantId) === creation) this.#creating.delete(tenantId);
    });
    this.#creating.set(tenantId, creation);
    return creation.promise;
  }

  /** `[url, syncUrl?]` of a tenant: its id is checked (in Rust) before any is built. */
  #expand(tenantId) {
    if (typeof tenantId !== 'string' || tenantId === '') {
      throw makeError('INVALID_REQUEST', 'tenantId must be a non-empty string.');
    }
    try {
      return this.#urls.expand(tenantId);
    } catch (err) {
      throw toObjectQLError(err);
    }
  }

  async #create(tenantId, [url, syncUrl], creation) {
    await this.#acquire();
    let driver;
    try {
      const config = { ...this.#overrides, url, [kSharedSchema]: this.#schema };
      if (syncUrl !== undefined) config.syncUrl = syncUrl;
      const authToken = this.#config.groupAuthToken ?? this.#overrides.authToken;
      if (authToken !== undefined) config.authToken = authToken;
      driver = new TursoDriver(config);
      await this.#config.onTenantCreate?.(tenantId);
      await this.#makeRoom();
      await this.#connect(driver);
      // A newer setup may arrive while this one runs: the tenant opens with the newest.
      let setup;
      while (setup !== this.#setup) {
        setup = this.#setup;
        await runSetup(driver, setup);
      }
    } catch (err) {
      if (driver !== undefined) await driver.disconnect().catch(() => {});
      const error = toObjectQLError(err);
      if (this.#failureTtl > 0) this.#failures.set(tenantId, { error, until: Date.now() + this.#failureTtl });
      throw error;
    } finally {
      this.#release();
    }
    const entry = new Entry(tenantId, driver, Date.now(), ++this.#uses);
    driver[kOnReopen] = () => this.#readmit(entry);
    if (creation.cancelled) {
      // invalidateCache or destroyAll came while this was being made: the caller still
      // gets its driver, closed; a call on it re-enters the cache like any evicted one.
      await driver.disconnect().catch(() => {});
      return driver;
    }
    this.#entries.set(tenantId, entry);
    this.#open.add(entry);
    return driver;
  }

  /**
   * Opens a tenant's database; one that fails while the process is short of file
   * descriptors is retried once after closing an idle tenant, and the error then says so.
   */
  async #connect(driver) {
    try {
      await driver.connect();
    } catch (err) {
      const limits = readLimits();
      if (limits === undefined || limits.openFiles + FDS_PER_TENANT < limits.maxOpenFiles) throw err;
      if (await this.#evictOne('capacity')) {
        try {
          return await driver.connect();
        } catch {
          // Reported below, with the limit.
        }
      }
      throw makeError(
        'DRIVER_CONNECTION_FAILED',
        `Cannot open another tenant database: the process has ${limits.openFiles} of its ` +
          `${limits.maxOpenFiles} file descriptors open (${err.message}). Raise the limit ` +
          `('ulimit -n') or lower maxCachedTenants (now ${this.#maxCached}).`,
      );
    }
  }

  /** Closes least recently used idle tenants until a new one fits the budget. */
  async #makeRoom() {
    const now = Date.now();
    for (const entry of [...this.#open]) {
      if (now - entry.lastUsed >= this.#ttl && !entry.driver[kBusy]) await this.#close(entry, 'ttl');
    }
    while (this.#open.size >= this.#maxCached) {
      if (!(await this.#evictOne('capacity'))) break;
    }
  }

  /** Closes the least recently used idle tenant; false when every open one is busy. */
  async #evictOne(reason) {
    let oldest;
    for (const entry of this.#open) {
      if (entry.driver[kBusy]) continue;
      if (oldest === undefined || entry.use < oldest.use) oldest = entry;
    }
    if (oldest === undefined) return false;
    await this.#close(oldest, reason);
    return true;
  }

  /** A closed driver an app still held got a call: it is open again, so it counts again. */
  #readmit(entry) {
    this.#touch(entry);
    if (this.#open.has(entry)) return;
    this.#open.add(entry);
    if (!this.#entries.has(entry.tenantId)) this.#entries.set(entry.tenantId, entry);
    if (this.#open.size > this.#maxCached) {
      // Made room for in the background: the call that reopened it runs now.
      this.#evictOne('capacity').catch(() => {});
    }
  }

  /** Takes `entry` out of the cache and closes its database; the callbacks hear of it. */
  async #close(entry, reason) {
    if (!this.#open.delete(entry) && this.#entries.get(entry.tenantId) !== entry) return;
    const current = this.#entries.get(entry.tenantId) === entry;
    if (current) this.#entries.delete(entry.tenantId);
    await entry.driver.disconnect().catch((err) => this.#report(err, entry.tenantId, 'disconnect'));
    // A stray (an older driver that re-entered) leaves; the tenant stays, so no callback.
    if (!current) return;
    await this.#notify('onTenantEvict', entry.tenantId, reason);
    await this.#notify('onTenantDelete', entry.tenantId);
  }

  /** Calls a callback whose failure must not fail the router's work: it goes to onError. */
  async #notify(name, tenantId, ...args) {
    const callback = this.#config[name];
    if (callback === undefined) return;
    try {
      await callback(tenantId, ...args);
    } catch (err) {
      this.#report(err, tenantId, name);
    }
  }

  #report(error, tenantId, hook) {
    try {
      this.#config.onError?.(error, { tenantId, hook });
    } catch {
      // An error handler that throws has nowhere left to report to.
    }
  }

  async #acquire() {
    if (this.#running < this.#maxCreates) {
      this.#running++;
      return;
    }
    await new Promise((resolve) => this.#queue.push(resolve));
  }

  #release() {
    const next = this.#queue.shift();
    if (next !== undefined) next();
    else this.#running--;
  }

  /** Closes `tenantId`'s database in the background (sync; an unknown id is a no-op). */
  invalidateCache(tenantId) {
    this.#failures.delete(tenantId);
    const creation = this.#creating.get(tenantId);
    if (creation !== undefined) {
      creation.cancelled = true;
      this.#creating.delete(tenantId);
    }
    const entry = this.#entries.get(tenantId);
    if (entry !== undefined) this.#close(entry, 'invalidate').catch(() => {});
  }

  /**
   * Closes every tenant database (callbacks called) and empties the cache. The router
   * stays usable, as in 4.2.2: a later call opens its tenant again.
   */
  async destroyAll() {
    for (const creation of this.#creating.values()) creation.cancelled = true;
    this.#creating.clear();
    this.#failures.clear();
    const open = new Set([...this.#open, ...this.#entries.values()]);
    await Promise.allSettled([...open].map((entry) => this.#close(entry, 'destroy')));
  }

  /** The tenants whose databases are open. */
  getCacheSize() {
    return this.#entries.size;
  }

  /**
   * Brings every tenant database to `objects`: the open ones now, the others as they
   * open. A database already synced to the same definitions runs no DDL.
   */
  async syncSchema(objects) {
    await this.#schema.syncSchema(objects);
    const open = [...this.#entries.values()];
    await Promise.all(open.map((entry) => entry.driver[kApplySharedSchema]()));
  }

  /**
   * The multi-tenant plugin's schema calls: `syncSchema` ones become the shared schema,
   * the others (metadata registrations) every tenant driver runs as it opens; open ones
   * get both now.
   */
  async [kTenantSetup](calls) {
    const synced = calls.filter(([method]) => method === 'syncSchema').flatMap(([, [objects]]) => objects);
    this.#setup = calls.filter(([method]) => method !== 'syncSchema');
    if (synced.length > 0) await this.syncSchema(synced);
    const open = [...this.#entries.values()];
    await Promise.all(open.map((entry) => runSetup(entry.driver, this.#setup)));
  }
}

async function runSetup(driver, calls) {
  for (const [method, args] of calls) await driver[method](...args);
}

/** A non-negative number option (default from DEFAULTS), at least `min`. */
function option(config, name, min) {
  const value = config[name] ?? DEFAULTS[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw makeError(
      'CONFIG_ERROR',
      `MultiTenantConfig "${name}" must be a finite number >= ${min}, got ${value}.`,
    );
  }
  return value;
}

function readLimits() {
  try {
    return processLimits() ?? undefined;
  } catch {
    return undefined;
  }
}

/** How many tenants the file descriptors the process may still open can hold. */
function fdBudget() {
  const limits = readLimits();
  if (limits === undefined || !(limits.maxOpenFiles > 0)) return Infinity;
  return Math.max(1, Math.floor((limits.maxOpenFiles - limits.openFiles - FD_RESERVE) / FDS_PER_TENANT));
}

function createMultiTenantRouter(config) {
  return new MultiTenantRouter(config);
}

module.exports = { createMultiTenantRouter, MultiTenantRouter, kPeek, kTenantSetup };
