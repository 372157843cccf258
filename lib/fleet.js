'use strict';

// migrateTenants: one schema migration across many tenant databases. What a migration
// does, what it refuses or skips and its transaction are the driver's (`planMigration`
// and `applyMigrationPlan`, in Rust); this file is the fleet's policy only:
//
// - each tenant is opened, planned, applied (in its own transaction) and released on its
//   own, `concurrency` at a time; a tenant that fails is recorded and the run goes on;
// - a re-run is a resume: a migrated tenant has nothing left to apply and is counted up to
//   date (with what its plan skips, e.g. drops without `allowDestructive`), and a tenant
//   whose schema fingerprint is one this run already brought a tenant to (or found up to
//   date) is counted up to date without planning;
// - with `urlTemplate`, every tenant id is checked against the router's rule (in Rust, the
//   same `TenantUrls` the router uses) before any tenant is touched: an id is never put
//   into a path or URL unchecked.
//
// To report something new per tenant, add it to the object `migrateOne` returns (and to
// `TenantMigrationResult` in index.d.ts); to count a new status, to `STATUSES`.

const { TenantUrls, checkMigrationOptions } = require('../native.js');
const { TursoDriver } = require('./driver.js');
const { makeError, toObjectQLError } = require('./errors.js');

/** Each status a tenant can end in, and the summary count it adds to. */
const STATUSES = Object.freeze({
  migrated: 'migrated',
  'up-to-date': 'upToDate',
  failed: 'failed',
  planned: 'planned',
});

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Object definitions as the driver takes them: an array of `{ name, fields }`, or a map
 * `{ name: definition }` (the key is the name; a definition naming another is refused).
 * `source` names where they came from, for the messages.
 */
function normalizeObjects(value, source = 'objects') {
  let list;
  if (Array.isArray(value)) {
    list = value;
  } else if (isPlainObject(value)) {
    list = Object.entries(value).map(([key, def]) => {
      if (!isPlainObject(def)) return def;
      if (def.name !== undefined && def.name !== key) {
        throw makeError(
          'INVALID_REQUEST',
          `${source}: the definition under "${key}" is named "${def.name}"; make the key and the name agree.`,
        );
      }
      return { ...def, name: key };
    });
  } else {
    throw makeError(
      'INVALID_REQUEST',
      `${source} must be an array of object definitions or a map { name: definition }; got ${describe(value)}.`,
    );
  }
  if (list.length === 0) {
    // An empty list would plan the removal of every table: never what a caller means.
    throw makeError(
      'INVALID_REQUEST',
      `${source} holds no object definitions; give at least one { name, fields }.`,
    );
  }
  list.forEach((def, i) => {
    if (!isPlainObject(def) || typeof def.name !== 'string' || def.name === '') {
      throw makeError(
        'INVALID_REQUEST',
        `${source}[${i}] must be an object definition with a non-empty "name"; got ${describe(def)}.`,
      );
    }
  });
  return list;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/**
 * The options `planMigration` takes, from the run's options, checked by the same code that
 * checks them there (so a bad one is refused before any tenant is opened).
 */
function migrationOptions(options) {
  const picked = {};
  for (const key of ['allowDestructive', 'unconvertible', 'protectedTables', 'scope']) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  try {
    checkMigrationOptions(picked);
  } catch (err) {
    throw toObjectQLError(err);
  }
  return picked;
}

/**
 * `driverFor` for a url template: each tenant's url is the template with its id (checked
 * first), `driverOptions` the rest of each driver's config. A `file:` database that does
 * not exist is not created: the tenant fails with NOT_FOUND (a migration brings existing
 * databases up to date; a misspelt id must not leave a new empty database behind).
 */
function templateDrivers(urlTemplate, driverOptions = {}) {
  if (typeof urlTemplate !== 'string' || urlTemplate === '') {
    throw makeError(
      'INVALID_REQUEST',
      '"urlTemplate" must be a non-empty string with a {tenant} placeholder (e.g. \'file:./tenants/{tenant}.db\').',
    );
  }
  if (!isPlainObject(driverOptions) || 'url' in driverOptions) {
    throw makeError(
      'INVALID_REQUEST',
      '"driverOptions" must be an object of driver options without "url" (the url comes from "urlTemplate").',
    );
  }
  let urls;
  try {
    urls = new TenantUrls(urlTemplate);
  } catch (err) {
    throw asRequestError(toObjectQLError(err));
  }
  const urlOf = (tenant) => {
    if (typeof tenant !== 'string' || tenant === '') {
      throw makeError('INVALID_REQUEST', 'tenantId must be a non-empty string.');
    }
    try {
      return urls.expand(tenant)[0];
    } catch (err) {
      throw toObjectQLError(err);
    }
  };
  const driverFor = async (tenant) => {
    const url = urlOf(tenant);
    const local = url.startsWith('file:');
    const driver = new TursoDriver({
      ...driverOptions,
      url,
      ...(local ? { sqliteAbsentFile: 'empty-in-memory' } : {}),
    });
    try {
      await driver.connect();
    } catch (err) {
      await driver.disconnect().catch(() => {});
      throw err;
    }
    if (local && driver.sqliteOpenedEmptyInMemory) {
      await driver.disconnect().catch(() => {});
      throw makeError(
        'NOT_FOUND',
        `No database for tenant "${tenant}" at ${url}: migrations bring existing databases up to date; create it first, or correct the tenant id.`,
      );
    }
    return driver;
  };
  return { driverFor, urlOf };
}

/** A template refused as config is the caller's request here. */
function asRequestError(err) {
  if (err.code === 'CONFIG_ERROR') err.code = 'INVALID_REQUEST';
  return err;
}

function readOptions(options) {
  if (!isPlainObject(options)) {
    throw makeError(
      'INVALID_REQUEST',
      'migrateTenants requires an options object: { objects, tenants, driverFor | urlTemplate }.',
    );
  }
  const objects = normalizeObjects(options.objects);
  const tenants = options.tenants;
  if (!Array.isArray(tenants) || !tenants.every((t) => typeof t === 'string' && t !== '')) {
    throw makeError('INVALID_REQUEST', '"tenants" must be an array of non-empty tenant id strings.');
  }
  const seen = new Set();
  const repeated = new Set(tenants.filter((t) => seen.size === seen.add(t).size));
  if (repeated.size > 0) {
    throw makeError(
      'INVALID_REQUEST',
      `"tenants" lists ${[...repeated].map((t) => `"${t}"`).join(', ')} more than once; list each tenant once.`,
    );
  }

  let driverFor;
  if (options.urlTemplate !== undefined) {
    if (options.driverFor !== undefined) {
      throw makeError('INVALID_REQUEST', 'Give "driverFor" or "urlTemplate", not both.');
    }
    const template = templateDrivers(options.urlTemplate, options.driverOptions);
    // Every id is checked before any tenant is touched: a bad list migrates nothing.
    const refused = [];
    for (const tenant of tenants) {
      try {
        template.urlOf(tenant);
      } catch (err) {
        refused.push(err.message);
      }
    }
    if (refused.length > 0) {
      throw makeError(
        'INVALID_REQUEST',
        `${refused.length} tenant id(s) cannot be put into the url template; nothing was migrated. ${refused.slice(0, 5).join(' ')}${refused.length > 5 ? ' …' : ''}`,
      );
    }
    driverFor = template.driverFor;
  } else if (typeof options.driverFor === 'function') {
    driverFor = options.driverFor;
  } else {
    throw makeError(
      'INVALID_REQUEST',
      'migrateTenants requires "driverFor" (tenant => driver) or "urlTemplate" (e.g. \'file:./tenants/{tenant}.db\').',
    );
  }

  for (const name of ['release', 'onProgress']) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw makeError('INVALID_REQUEST', `"${name}" must be a function, got ${typeof options[name]}.`);
    }
  }
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw makeError(
      'INVALID_REQUEST',
      `"concurrency" must be a whole number >= 1; got ${JSON.stringify(concurrency)}.`,
    );
  }
  if (options.dryRun !== undefined && typeof options.dryRun !== 'boolean') {
    throw makeError('INVALID_REQUEST', '"dryRun" must be true or false.');
  }
  return {
    objects,
    tenants: [...tenants],
    driverFor,
    release: options.release ?? ((_tenant, driver) => driver.disconnect()),
    onProgress: options.onProgress,
    concurrency,
    dryRun: options.dryRun === true,
    migration: migrationOptions(options),
  };
}

/**
 * Brings every tenant database in `options.tenants` to `options.objects` (see index.d.ts,
 * `MigrateTenantsOptions`). Rejects only for bad options; a tenant that fails is reported
 * in the result.
 */
async function migrateTenants(options) {
  const run = readOptions(options);
  const started = performance.now();
  const total = run.tenants.length;
  const results = new Array(total);
  /**
   * Fingerprints of schemas already at `objects` (as far as the options let a plan bring
   * them), with what the plans skipped there: a tenant found at one needs no plan.
   */
  const done = new Map();
  let next = 0;
  let finished = 0;

  const progress = (event) => {
    try {
      run.onProgress?.(event);
    } catch {
      // A progress display that throws must not stop a migration half way through the fleet.
    }
  };
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const tenant = run.tenants[index];
      progress({ type: 'start', tenant, done: finished, total });
      const result = await migrateOne(tenant, run, done);
      results[index] = result;
      finished++;
      progress({ type: 'tenant', tenant, done: finished, total, result });
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.concurrency, total) }, worker));

  const summary = { total, migrated: 0, upToDate: 0, failed: 0, planned: 0 };
  for (const result of results) summary[STATUSES[result.status]]++;
  return { ...summary, duration: performance.now() - started, tenants: results };
}

/** One tenant: open, plan, apply, release. Never throws: a failure is its result. */
async function migrateOne(tenant, run, done) {
  let driver;
  let result;
  try {
    driver = await run.driverFor(tenant);
    if (driver === null || typeof driver !== 'object' || typeof driver.planMigration !== 'function') {
      driver = undefined;
      throw makeError(
        'INVALID_REQUEST',
        `driverFor("${tenant}") must return a TursoDriver (or a Promise of one).`,
      );
    }
    if (done.size > 0) {
      const fingerprint = await driver.schemaFingerprint();
      if (done.has(fingerprint)) {
        result = { tenant, status: 'up-to-date', statements: 0, fingerprint, ...done.get(fingerprint) };
      }
    }
    if (result === undefined) result = await planAndApply(tenant, driver, run, done);
  } catch (err) {
    const error = toObjectQLError(err);
    result = { tenant, status: 'failed', statements: 0, code: error.code, error: error.message };
  }
  if (driver !== undefined) {
    try {
      await run.release(tenant, driver);
    } catch (err) {
      result.releaseError = toObjectQLError(err).message;
    }
  }
  return result;
}

async function planAndApply(tenant, driver, run, done) {
  const plan = await driver.planMigration(run.objects, run.migration);
  const notes = plan.skipped.length > 0 ? { skipped: plan.skipped } : {};
  if (plan.statements.length === 0 && plan.blocked.length === 0) {
    // Nothing this run may apply: up to date, but for what the plan skipped.
    done.set(plan.fingerprint, notes);
    return { tenant, status: 'up-to-date', statements: 0, fingerprint: plan.fingerprint, ...notes };
  }
  if (run.dryRun) {
    const result = {
      tenant,
      status: 'planned',
      statements: plan.statements.length,
      fingerprint: plan.fingerprint,
      summary: plan.summary,
      ...notes,
    };
    if (plan.blocked.length > 0) result.blocked = plan.blocked;
    return result;
  }
  // A plan with `blocked` reasons is handed over too: the driver refuses it (MIGRATION_REFUSED).
  const applied = await driver.applyMigrationPlan(plan);
  // A tenant found at this schema later has this plan's skips (their texts hold no counts).
  done.set(applied.fingerprint, notes);
  return {
    tenant,
    status: 'migrated',
    statements: applied.applied,
    fingerprint: applied.fingerprint,
    summary: plan.summary,
    ...notes,
  };
}

module.exports = { migrateTenants, normalizeObjects };
