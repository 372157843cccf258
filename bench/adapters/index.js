'use strict';

// Driver name -> adapter module. Each adapter's open({ kind, file, syncUrl }) connects and resolves
// to { createTable, bulkInsert, create, findOne, update, remove, find, sql, close }:
// create resolves to the new id, update/remove to whether one row was hit, find(k) runs
// `n > k ORDER BY score DESC LIMIT 50`, sql() is for the untimed checks only.

const DRIVERS = ['native', 'objectstack', 'libsql', 'better-sqlite3'];

const LABELS = {
  native: '@objectql/driver-turso (this package, Rust + napi-rs)',
  objectstack: '@objectstack/driver-turso 17.4.0 (kernel TS driver: knex + better-sqlite3)',
  libsql: 'raw @libsql/client 0.17.3',
  'better-sqlite3': 'raw better-sqlite3 12.6.2',
};

function load(name) {
  switch (name) {
    case 'native':
      return require('./native-driver');
    case 'objectstack':
      return require('./objectstack');
    case 'libsql':
      return require('./libsql');
    case 'better-sqlite3':
      return require('./better-sqlite3');
    default:
      throw new Error(`unknown driver ${JSON.stringify(name)} (known: ${DRIVERS.join(', ')})`);
  }
}

module.exports = { DRIVERS, LABELS, load };
