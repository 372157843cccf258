'use strict';

// The contract's pure helpers: synchronous wrappers over the native core, so what they
// return is what the driver itself executes.

const native = require('../native.js');
const { toObjectQLError } = require('./errors.js');

function callSync(fn) {
  try {
    return fn();
  } catch (err) {
    throw toObjectQLError(err);
  }
}

/** Field sets may be `Set`s or arrays; the native side takes arrays. */
function fieldList(fields) {
  if (fields == null) return [];
  if (Array.isArray(fields)) return fields;
  if (typeof fields[Symbol.iterator] === 'function') return [...fields];
  return [];
}

const compileFilter = (filters) => callSync(() => native.compileFilter(filters));
const compileSelect = (options) => callSync(() => native.compileSelect(options));
const parseSort = (sort) => callSync(() => native.parseSort(sort));
const quoteIdentifier = (name) => callSync(() => native.quoteIdentifier(name));
const fieldTypeToSqlite = (fieldType) => callSync(() => native.fieldTypeToSqlite(String(fieldType)));
const isJsonFieldType = (fieldType) => callSync(() => native.isJsonFieldType(String(fieldType)));
const isBooleanFieldType = (fieldType) => callSync(() => native.isBooleanFieldType(String(fieldType)));

const diffSchema = (desired, live, options) => callSync(() => native.diffSchema(desired, live, options));
const generateMigration = (diff) => callSync(() => native.generateMigration(diff));

const mapRows = (rows, jsonFields, booleanFields) =>
  callSync(() => native.mapRows(rows, fieldList(jsonFields), fieldList(booleanFields)));

const mapRow = (row, jsonFields, booleanFields) => mapRows(row, jsonFields, booleanFields);

const serializeRecord = (data, jsonFields, booleanFields) =>
  callSync(() => native.serializeRecordValue(data, fieldList(jsonFields), fieldList(booleanFields)));

const serializeValue = (value, fieldName, jsonFields, booleanFields) =>
  serializeRecord({ [fieldName]: value }, jsonFields, booleanFields)[fieldName];

module.exports = {
  callSync,
  compileFilter,
  compileSelect,
  parseSort,
  quoteIdentifier,
  fieldTypeToSqlite,
  isJsonFieldType,
  isBooleanFieldType,
  mapRow,
  mapRows,
  serializeValue,
  serializeRecord,
  diffSchema,
  generateMigration,
};
