'use strict';

// The process's limits for many open databases (see core/src/store/limits.rs): file
// descriptors, and SQLite's soft heap limit.

const native = require('../native.js');
const { toObjectQLError } = require('./errors.js');

/** `{ maxOpenFiles, openFiles }`, or null where the OS does not say (outside Linux). */
function processLimits() {
  return native.processLimits() ?? null;
}

/**
 * Sets SQLite's process-wide soft heap limit in bytes (0: none) and returns the previous
 * one. Call it before the first database opens: SQLite enforces it only when it counts
 * its memory, which is decided as it starts.
 */
function setSoftHeapLimit(bytes) {
  try {
    return native.setSoftHeapLimit(bytes);
  } catch (err) {
    throw toObjectQLError(err);
  }
}

module.exports = { processLimits, setSoftHeapLimit };
