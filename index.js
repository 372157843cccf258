'use strict';

// Public entry of @objectql/driver-turso (native). The generated loader (native.js)
// finds the addon; lib/ holds the thin JS layer over it.

const { TursoDriver, TursoTransaction, createTursoDriver } = require('./lib/driver.js');
const { ObjectQLError } = require('./lib/errors.js');
const { TursoDriverPlugin } = require('./lib/plugin.js');
const { createMultiTenantRouter } = require('./lib/router.js');
const { migrateTenants } = require('./lib/fleet.js');
const { processLimits, setSoftHeapLimit } = require('./lib/limits.js');
const { TursoPlatformAPI, LibsqlAdminAPI } = require('./lib/platform.js');
const { executeMigrations } = require('./lib/migrations.js');
const helpers = require('./lib/helpers.js');

module.exports = {
  TursoDriver,
  TursoTransaction,
  createTursoDriver,
  TursoDriverPlugin,
  createMultiTenantRouter,
  migrateTenants,
  TursoPlatformAPI,
  LibsqlAdminAPI,
  processLimits,
  setSoftHeapLimit,
  ObjectQLError,
  compileFilter: helpers.compileFilter,
  compileSelect: helpers.compileSelect,
  parseSort: helpers.parseSort,
  quoteIdentifier: helpers.quoteIdentifier,
  fieldTypeToSqlite: helpers.fieldTypeToSqlite,
  isJsonFieldType: helpers.isJsonFieldType,
  isBooleanFieldType: helpers.isBooleanFieldType,
  mapRow: helpers.mapRow,
  mapRows: helpers.mapRows,
  serializeValue: helpers.serializeValue,
  serializeRecord: helpers.serializeRecord,
  diffSchema: helpers.diffSchema,
  generateMigration: helpers.generateMigration,
  executeMigrations,
};
