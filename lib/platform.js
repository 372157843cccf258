'use strict';

// Provisioning: TursoPlatformAPI (the Turso Platform API) and LibsqlAdminAPI (a self-hosted
// libSQL server's admin API). The clients are Rust (core/src/platform): requests, retries,
// timeouts and reply checks happen there, never through `globalThis.fetch`. This file
// checks argument types, accepts 4.2.2's call forms (`createDatabase(name, group)`) beside
// the option objects, and turns native errors into ObjectQLErrors in the caller's realm.

const { isNativeError } = require('util').types;

const { NativeTursoPlatform, NativeServerAdmin } = require('../native.js');
const { ObjectQLError, makeError } = require('./errors.js');

/** The codes provisioning errors carry (core/src/platform/http.rs maps HTTP statuses). */
const CODES = new Set([
  'CONFIG_ERROR',
  'INVALID_REQUEST',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'DRIVER_ERROR',
  'DRIVER_CONNECTION_FAILED',
]);

function platformError(err) {
  if (err instanceof ObjectQLError) return err;
  const message = err && typeof err.message === 'string' ? err.message : String(err);
  const code = err && err.code;
  if (CODES.has(code)) return makeError(code, message);
  // napi's own argument checks are the caller's mistakes; anything else is ours.
  if (typeof code === 'string' && /Expected$|^InvalidArg$/.test(code)) {
    return makeError('INVALID_REQUEST', message);
  }
  return makeError('DRIVER_ERROR', message);
}

/** A native call that answers with a Promise of the value or of a coded error object. */
function run(call, then = (value) => value) {
  let pending;
  try {
    pending = call();
  } catch (err) {
    return Promise.reject(platformError(err));
  }
  return Promise.resolve(pending).then((value) => {
    if (isNativeError(value)) throw platformError(value);
    return then(value);
  });
}

function invalid(message) {
  return Promise.reject(makeError('INVALID_REQUEST', message));
}

const isText = (value) => typeof value === 'string';
const isFlag = (value) => typeof value === 'boolean';
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * `options` reduced to the `fields` it may hold (name -> type check), or a message saying
 * what is wrong. Unknown keys are left out, as the API would ignore them.
 */
function pick(options, fields, where) {
  if (options === undefined || options === null) return { value: {} };
  if (!isObject(options)) return { error: `${where}: options must be an object, got ${typeof options}.` };
  const value = {};
  for (const [name, check] of Object.entries(fields)) {
    const field = options[name];
    if (field === undefined || field === null) continue;
    if (!check(field)) {
      return { error: `${where}: "${name}" has the wrong type (${typeof field}).` };
    }
    value[name] = field;
  }
  return { value };
}

const SEED_FIELDS = { type: isText, name: isText, url: isText, timestamp: isText };
const CREATE_FIELDS = {
  group: isText,
  seed: isObject,
  schema: isText,
  is_schema: isFlag,
  size_limit: isText,
};
const TOKEN_FIELDS = { expiration: isText, authorization: isText };
const LIST_FIELDS = { group: isText, schema: isText };

/** `createDatabase`'s second argument: 4.2.2's group name, or the options object. */
function createOptions(groupOrOptions, where) {
  if (typeof groupOrOptions === 'string')
    return { value: groupOrOptions === '' ? {} : { group: groupOrOptions } };
  const picked = pick(groupOrOptions, CREATE_FIELDS, where);
  if (picked.error || picked.value.seed === undefined) return picked;
  const seed = pick(picked.value.seed, SEED_FIELDS, `${where} seed`);
  if (seed.error) return seed;
  return { value: { ...picked.value, seed: seed.value } };
}

/** `timeoutMs`, `maxRetries`, `retryBaseMs` of a config (checked again in Rust). */
function httpOptions(config, where) {
  const http = {};
  for (const name of ['timeoutMs', 'maxRetries', 'retryBaseMs']) {
    const value = config[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw makeError(
        'CONFIG_ERROR',
        `${where} "${name}" must be a number of ${name === 'maxRetries' ? 'retries' : 'milliseconds'}.`,
      );
    }
    http[name] = value;
  }
  return http;
}

function requireText(config, name, where) {
  const value = config[name];
  if (value === undefined || value === null || value === '') {
    throw makeError('CONFIG_ERROR', `${where} requires an "${name}".`);
  }
  if (typeof value !== 'string') {
    throw makeError('CONFIG_ERROR', `${where} "${name}" must be a string, got ${typeof value}.`);
  }
  return value;
}

function construct(make) {
  try {
    return make();
  } catch (err) {
    throw platformError(err);
  }
}

const jwt = (token) => ({ jwt: token });

/**
 * Client of the Turso Platform API: databases, their tokens and their groups' tokens,
 * and `ensureDatabase` for provisioning a tenant's database on its first request.
 */
class TursoPlatformAPI {
  #native;

  constructor(config) {
    const where = 'TursoPlatformAPI';
    if (!isObject(config)) {
      throw makeError('CONFIG_ERROR', `${where} requires a config object: { orgSlug, apiToken, baseUrl? }.`);
    }
    const orgSlug = requireText(config, 'orgSlug', where);
    const apiToken = requireText(config, 'apiToken', where);
    if (config.baseUrl !== undefined && typeof config.baseUrl !== 'string') {
      throw makeError('CONFIG_ERROR', `${where} "baseUrl" must be a string URL.`);
    }
    const http = httpOptions(config, where);
    this.#native = construct(
      () => new NativeTursoPlatform({ orgSlug, apiToken, baseUrl: config.baseUrl, http }),
    );
  }

  /** Where requests go (`baseUrl`, trailing slashes trimmed). */
  get baseUrl() {
    return this.#native.baseUrl;
  }

  createDatabase(name, groupOrOptions) {
    return this.#create('createDatabase', name, groupOrOptions);
  }

  /** Creates the database or returns the existing one: `{ ...database, created }`. */
  ensureDatabase(name, groupOrOptions) {
    return this.#create('ensureDatabase', name, groupOrOptions);
  }

  #create(method, name, groupOrOptions) {
    if (!isText(name)) return invalid(`TursoPlatformAPI.${method}: "name" must be a string.`);
    const options = createOptions(groupOrOptions, `TursoPlatformAPI.${method}`);
    if (options.error) return invalid(options.error);
    return run(() => this.#native[method](name, options.value));
  }

  getDatabase(name) {
    if (!isText(name)) return invalid('TursoPlatformAPI.getDatabase: "name" must be a string.');
    return run(() => this.#native.getDatabase(name));
  }

  deleteDatabase(name) {
    if (!isText(name)) return invalid('TursoPlatformAPI.deleteDatabase: "name" must be a string.');
    return run(
      () => this.#native.deleteDatabase(name),
      () => undefined,
    );
  }

  listDatabases(options) {
    const picked = pick(options, LIST_FIELDS, 'TursoPlatformAPI.listDatabases');
    if (picked.error) return invalid(picked.error);
    return run(() => this.#native.listDatabases(picked.value));
  }

  createToken(name, options) {
    if (!isText(name)) return invalid('TursoPlatformAPI.createToken: "name" must be a string.');
    const picked = pick(options, TOKEN_FIELDS, 'TursoPlatformAPI.createToken');
    if (picked.error) return invalid(picked.error);
    return run(() => this.#native.createToken(name, picked.value), jwt);
  }

  createGroupToken(group, options) {
    if (!isText(group)) return invalid('TursoPlatformAPI.createGroupToken: "group" must be a string.');
    const picked = pick(options, TOKEN_FIELDS, 'TursoPlatformAPI.createGroupToken');
    if (picked.error) return invalid(picked.error);
    return run(() => this.#native.createGroupToken(group, picked.value), jwt);
  }

  rotateGroupTokens(group) {
    if (!isText(group)) return invalid('TursoPlatformAPI.rotateGroupTokens: "group" must be a string.');
    return run(
      () => this.#native.rotateGroupTokens(group),
      () => undefined,
    );
  }

  rotateDatabaseTokens(name) {
    if (!isText(name)) return invalid('TursoPlatformAPI.rotateDatabaseTokens: "name" must be a string.');
    return run(
      () => this.#native.rotateDatabaseTokens(name),
      () => undefined,
    );
  }
}

/**
 * Client of a self-hosted libSQL server's admin API (`sqld --enable-namespaces
 * --admin-listen-addr ...`): one namespace, that is one database, per tenant.
 */
class LibsqlAdminAPI {
  #native;

  constructor(config) {
    const where = 'LibsqlAdminAPI';
    if (!isObject(config)) {
      throw makeError('CONFIG_ERROR', `${where} requires a config object: { adminUrl, authToken? }.`);
    }
    const adminUrl = requireText(config, 'adminUrl', where);
    if (config.authToken !== undefined && typeof config.authToken !== 'string') {
      throw makeError('CONFIG_ERROR', `${where} "authToken" must be a string.`);
    }
    const http = httpOptions(config, where);
    this.#native = construct(() => new NativeServerAdmin({ adminUrl, authToken: config.authToken, http }));
  }

  get adminUrl() {
    return this.#native.adminUrl;
  }

  createNamespace(namespace) {
    if (!isText(namespace)) return invalid('LibsqlAdminAPI.createNamespace: "namespace" must be a string.');
    return run(
      () => this.#native.createNamespace(namespace),
      () => undefined,
    );
  }

  /** Creates the namespace unless it exists: `{ namespace, created }`. */
  ensureNamespace(namespace) {
    if (!isText(namespace)) return invalid('LibsqlAdminAPI.ensureNamespace: "namespace" must be a string.');
    return run(
      () => this.#native.ensureNamespace(namespace),
      (created) => ({ namespace, created }),
    );
  }

  deleteNamespace(namespace) {
    if (!isText(namespace)) return invalid('LibsqlAdminAPI.deleteNamespace: "namespace" must be a string.');
    return run(
      () => this.#native.deleteNamespace(namespace),
      () => undefined,
    );
  }

  hasNamespace(namespace) {
    if (!isText(namespace)) return invalid('LibsqlAdminAPI.hasNamespace: "namespace" must be a string.');
    return run(() => this.#native.hasNamespace(namespace));
  }
}

module.exports = { TursoPlatformAPI, LibsqlAdminAPI };
