'use strict';

// Errors are created here, in the caller's JS realm, so `instanceof Error` holds in Jest
// and in apps. When the app has `@objectql/types`, its ObjectQLError class is used, so
// existing `instanceof` checks keep working after the swap to this package.

class OwnObjectQLError extends Error {
  constructor({ code, message, details } = {}) {
    super(message);
    this.name = 'ObjectQLError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

function peerErrorClass() {
  try {
    const peer = require('@objectql/types').ObjectQLError;
    return typeof peer === 'function' ? peer : undefined;
  } catch {
    return undefined;
  }
}

const ObjectQLError = peerErrorClass() ?? OwnObjectQLError;

const OBJECTQL_CODES = new Set([
  'CONFIG_ERROR',
  'INVALID_REQUEST',
  'INVALID_FILTER',
  'NOT_FOUND',
  'QUERY_ERROR',
  'DRIVER_ERROR',
  'DRIVER_CONNECTION_FAILED',
]);

/** The native code for "another connection holds the lock": retried, never shown. */
const BUSY = 'SQLITE_BUSY';

function makeError(code, message, details) {
  const err = new ObjectQLError({ code, message, details });
  // A peer class may name or code itself differently; the contract fixes both.
  if (err.code !== code) err.code = code;
  if (err.name !== 'ObjectQLError') err.name = 'ObjectQLError';
  return err;
}

/**
 * Any error thrown by the native binding, as an ObjectQLError. A refused filter is
 * `INVALID_FILTER` for the ObjectStack kernel and `INVALID_REQUEST` in the 4.2.2 API.
 */
function toObjectQLError(err, { kernel = false } = {}) {
  if (err instanceof ObjectQLError) return err;
  const message = err && typeof err.message === 'string' ? err.message : String(err);
  const code = err && err.code;
  if (code === 'INVALID_FILTER' && !kernel) return makeError('INVALID_REQUEST', message);
  if (OBJECTQL_CODES.has(code)) return makeError(code, message);
  if (code === BUSY) return makeError('DRIVER_ERROR', message);
  // napi's own argument checks (StringExpected, NumberExpected, InvalidArg, ...) are the
  // caller's mistakes; anything else is ours.
  if (typeof code === 'string' && /Expected$|^InvalidArg$/.test(code)) {
    return makeError('INVALID_REQUEST', message);
  }
  return makeError('DRIVER_ERROR', message);
}

function isBusy(err) {
  return err != null && err.code === BUSY;
}

module.exports = { ObjectQLError, makeError, toObjectQLError, isBusy };
