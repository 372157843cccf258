'use strict';

// better-sqlite3 is used twice: raw (adapter d) and under knex by @objectstack/driver-turso
// (adapter b). Both need its compiled addon. An `npm install --ignore-scripts` leaves it
// unbuilt; BENCH_BETTER_SQLITE3_BINDING may then name a better_sqlite3.node built elsewhere
// (better-sqlite3's own `nativeBinding` option).

const path = require('path');

function nativeBinding() {
  const file = process.env.BENCH_BETTER_SQLITE3_BINDING;
  return file ? path.resolve(file) : undefined;
}

function explain(error) {
  const msg = String((error && error.message) || error);
  if (!/bindings file|NODE_MODULE_VERSION|compiled against a different|ERR_DLOPEN_FAILED/.test(msg)) {
    return error;
  }
  return new Error(
    "better-sqlite3's native addon cannot be loaded (it was probably installed with " +
      '--ignore-scripts). Run `npm rebuild better-sqlite3`, or set BENCH_BETTER_SQLITE3_BINDING ' +
      `to a better_sqlite3.node built for this Node (${process.version}).\n${msg}`,
    { cause: error },
  );
}

/** Opens a better-sqlite3 database, with the binding override when one is set. */
function openDatabase(filename) {
  const Database = require('better-sqlite3');
  const binding = nativeBinding();
  try {
    return new Database(filename, binding ? { nativeBinding: binding } : {});
  } catch (error) {
    throw explain(error);
  }
}

/** Throws an actionable error now rather than deep inside knex's pool later. */
function assertLoadable() {
  openDatabase(':memory:').close();
}

module.exports = { nativeBinding, openDatabase, assertLoadable };
