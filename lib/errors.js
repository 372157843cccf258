'use strict';

// Errors are created here, in the caller's JS realm, so `instanceof Error` holds in Jest
// and in apps. When the app has `@objectql/types`, its ObjectQLError class is used, so
// existing `instanceof` checks keep working after the swap to this package.

class OwnObjectQLError extends Error {
  constructor({ code, message, details } = {}) {
    super(message);
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}
// On the prototype, as Error's own `name` is: an error's own enumerable keys are what a
// caller means to send (`code`, `status`), and serialising one must not add more.
Object.defineProperty(OwnObjectQLError.prototype, 'name', {
  value: 'ObjectQLError',
  writable: true,
  configurable: true,
});

function peerErrorClass() {
  try {
    const peer = require('@objectql/types').ObjectQLError;
    return typeof peer === 'function' ? peer : undefined;
  } catch {
    return undefined;
  }
}

const { authoredAt } = require('./provenance.js');

const ObjectQLError = peerErrorClass() ?? OwnObjectQLError;

const OBJECTQL_CODES = new Set([
  'CONFIG_ERROR',
  'INVALID_REQUEST',
  'INVALID_FILTER',
  'NOT_FOUND',
  'QUERY_ERROR',
  'DRIVER_ERROR',
  'DRIVER_CONNECTION_FAILED',
  // Safe migrations: a plan made against another schema, or one that would lose data.
  'SCHEMA_DRIFT',
  'MIGRATION_REFUSED',
]);

/**
 * Native codes as each contract reports them. The 4.2.2 API has no codes of its own for
 * a refused filter or a duplicate; the ObjectStack kernel reads `INVALID_FILTER` (400),
 * `UNIQUE_VIOLATION` (its 409) and, for any other statement failure, its
 * `DATABASE_ERROR` envelope (500).
 */
const CODES = {
  objectql: {
    INVALID_FILTER: ['INVALID_REQUEST'],
    INVALID_QUERY: ['INVALID_REQUEST'],
    NOT_IMPLEMENTED: ['INVALID_REQUEST'],
    UNIQUE_VIOLATION: ['QUERY_ERROR'],
    VALIDATION_ERROR: ['INVALID_REQUEST'],
    EXTERNAL_SCHEMA_MODE_VIOLATION: ['EXTERNAL_SCHEMA_MODE_VIOLATION', 403],
  },
  objectstack: {
    INVALID_FILTER: ['INVALID_FILTER', 400],
    INVALID_QUERY: ['INVALID_QUERY', 400],
    NOT_IMPLEMENTED: ['NOT_IMPLEMENTED', 501],
    UNIQUE_VIOLATION: ['UNIQUE_VIOLATION', 409],
    QUERY_ERROR: ['DATABASE_ERROR', 500],
    VALIDATION_ERROR: ['VALIDATION_ERROR', 400],
    EXTERNAL_SCHEMA_MODE_VIOLATION: ['EXTERNAL_SCHEMA_MODE_VIOLATION', 403],
  },
};

/**
 * The kernel's own class for DDL refused by `schemaMode` (`@objectstack/spec/shared`), when
 * the app has it, so its `instanceof` checks hold; else an ObjectQLError with its code.
 */
function peerSchemaModeClass() {
  try {
    const peer = require('@objectstack/spec/shared').ExternalSchemaModeViolationError;
    return typeof peer === 'function' ? peer : undefined;
  } catch {
    return undefined;
  }
}

const SchemaModeViolation = peerSchemaModeClass();

/** The native code for "another connection holds the lock": retried, never shown. */
const BUSY = 'SQLITE_BUSY';

function makeError(code, message, details, status) {
  const err = new ObjectQLError({ code, message, details });
  // A peer class may name or code itself differently; the contract fixes both.
  if (err.code !== code) err.code = code;
  if (err.name !== 'ObjectQLError') err.name = 'ObjectQLError';
  if (status !== undefined) err.status = status;
  return err;
}

/**
 * A withheld filter refusal arrives as `shown NUL detail NUL steps` (src/error.rs): the
 * text that names nothing, the full text, and where the refused subtree sits in the
 * caller's filter (`Withheld` in core/src/error.rs). The full text is shown only when
 * that subtree of `filter` is marked as the caller's own; otherwise it goes to `log`.
 */
function resolveWithheld(message, filter, log) {
  const [shown, detail, steps] = message.split('\0');
  const path = steps === '' ? [] : steps.split('.').map(Number);
  if (filter !== undefined && authoredAt(filter, path)) return detail;
  log?.(
    'INVALID_FILTER answered without the names of fields, operators and values, because the ' +
      'refused filter subtree is not marked as written by the caller (it may be a read-scope ' +
      `rule). The full refusal: ${detail}`,
  );
  return shown;
}

/**
 * Any error thrown by the native binding, as an ObjectQLError in the codes of the
 * contract served (`kernel`: the ObjectStack kernel's, see CODES). `filter` is the
 * filter the call was given and `log` where a withheld refusal's full text goes (see
 * resolveWithheld).
 */
function toObjectQLError(err, { kernel = false, filter, log } = {}) {
  if (err instanceof ObjectQLError) return err;
  let message = err && typeof err.message === 'string' ? err.message : String(err);
  const code = err && err.code;
  // Parts after a NUL are for this layer only (src/error.rs): a withheld refusal's full
  // text, or the statement SQLite refused.
  let statement;
  if (message.includes('\0')) {
    if (code === 'INVALID_FILTER') message = resolveWithheld(message, filter, log);
    else [message, statement] = message.split('\0');
  }
  const mapped = CODES[kernel ? 'objectstack' : 'objectql'][code];
  if (code === 'EXTERNAL_SCHEMA_MODE_VIOLATION' && SchemaModeViolation)
    return new SchemaModeViolation(message);
  if (mapped && mapped[0] === 'DATABASE_ERROR') return databaseError(err, message, statement, log);
  if (mapped) return withCause(makeError(mapped[0], message, undefined, mapped[1]), err);
  if (OBJECTQL_CODES.has(code)) return makeError(code, message);
  if (code === BUSY) return makeError('DRIVER_ERROR', message);
  // napi's own argument checks (StringExpected, NumberExpected, InvalidArg, ...) are the
  // caller's mistakes; anything else is ours.
  if (typeof code === 'string' && /Expected$|^InvalidArg$/.test(code)) {
    return makeError('INVALID_REQUEST', message);
  }
  return makeError('DRIVER_ERROR', message);
}

/**
 * The kernel's envelope for a statement the database refused (500): SQLite's message,
 * the native error kept as a non-enumerable `cause` (so readers that follow causes, such
 * as the kernel's missing-table check, see the original, and serialising the error does
 * not carry it), and a line for the operator's log with the statement (its values are
 * parameters, never in the text).
 */
function databaseError(native, message, statement, log) {
  const err = makeError('DATABASE_ERROR', message, undefined, 500);
  if (native && typeof native === 'object') native.message = message;
  Object.defineProperty(err, 'cause', { value: native, writable: true, configurable: true });
  const sql = statement === undefined ? '' : ` (statement: ${statement})`;
  log?.(`DATABASE_ERROR: the database refused a statement: ${message}${sql}`);
  return err;
}

/**
 * What the database said beneath the driver's message (a native error's `cause`): kept on
 * `cause`, which error mappers do not put on the wire.
 */
function withCause(error, native) {
  const cause = native?.cause;
  if (cause !== undefined && cause !== null) {
    error.cause = cause instanceof Error ? new Error(cause.message) : new Error(String(cause));
  }
  return error;
}

function isBusy(err) {
  return err != null && err.code === BUSY;
}

module.exports = { ObjectQLError, makeError, toObjectQLError, isBusy };
