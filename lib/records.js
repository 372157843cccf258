'use strict';

// Records cross into Rust as parallel key and value lists. V8 lists an object's keys and
// values far faster than N-API can enumerate properties (50,000 six-field records: 175 ms
// through N-API, 45 ms this way). Nested objects and arrays are stored as JSON text in any
// column, so V8's JSON.stringify serialises them here, where it is cheapest; except for the
// kernel contract, where a JSON field's strings are JSON-encoded too, so Rust must still
// tell a string from a structure (`asIs`).
//
// A value that would not come back as given is refused here, naming its field: NaN and
// infinities (SQLite stores NULL), invalid Dates, strings with an unpaired surrogate (they
// would come back with U+FFFD), values JSON cannot encode (cycles, BigInt, a throwing
// toJSON or getter). Rust checks the rest (length limits, NUL characters) and backs all of
// it up for values that reach it another way.

const { makeError } = require('./errors.js');

/** SQLite's SQLITE_MAX_LENGTH, as `MAX_VALUE_BYTES` in core/src/record.rs. */
const MAX_VALUE_BYTES = 1_000_000_000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * What a record that is not a plain object is, or undefined for a plain one. A Map, a
 * Date or a Set has no enumerable fields: taken as a record it would insert an empty row.
 */
function describeNonRecord(data) {
  if (data === null || data === undefined) return String(data);
  if (typeof data !== 'object') return `a ${typeof data}`;
  try {
    if (Array.isArray(data)) return 'an array';
    if (ArrayBuffer.isView(data)) return 'binary data';
    const tag = Object.prototype.toString.call(data);
    return tag === '[object Object]' ? undefined : `a ${tag.slice(8, -1)}`;
  } catch {
    // A proxy whose traps throw (or a revoked one): reading its fields reports it below.
    return undefined;
  }
}

function refuse(key, reason) {
  return makeError('INVALID_REQUEST', `Field "${key}": ${reason}`);
}

/** A JSON.parse reviver that refuses strings with an unpaired surrogate. */
function wellFormed(_key, value) {
  if (typeof value === 'string' && !value.isWellFormed()) {
    throw new Error('a string inside has an unpaired surrogate (a broken UTF-16 character)');
  }
  return value;
}

/**
 * A field value as it crosses: containers become JSON text; Dates and Buffers stay. Under
 * the kernel contract (`asIs`) a string is a value, not JSON text, so the index of every
 * container's text is added to `json` for Rust to tell the two apart.
 */
function encodeValue(key, value, asIs, json, index) {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) {
        throw refuse(key, `${value} is not a finite number (SQLite would store NULL); use null or a number`);
      }
      return value;
    case 'string':
      if (!value.isWellFormed()) {
        throw refuse(
          key,
          'the string has an unpaired surrogate (a broken UTF-16 character); it would come back as U+FFFD',
        );
      }
      return value;
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) {
        throw refuse(key, `${value} does not fit in a 64-bit SQLite integer`);
      }
      return value;
    case 'object':
      if (value === null) return value;
      if (ArrayBuffer.isView(value)) {
        if (value.byteLength > MAX_VALUE_BYTES) {
          throw refuse(key, `${value.byteLength} bytes is longer than SQLite's limit of 1,000,000,000 bytes`);
        }
        return value;
      }
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw refuse(key, 'an invalid Date cannot be stored');
        return value;
      }
      try {
        // As JSON would store it (toJSON honoured).
        const text = JSON.stringify(value);
        if (!asIs) return text;
        // JSON.stringify escapes an unpaired surrogate (`\ud800`); the kernel contract
        // refuses one, by field, as it refused the structure's strings before.
        if (text === undefined || text.includes('\\u')) JSON.parse(text, wellFormed);
        json.push(index);
        return text;
      } catch (err) {
        throw refuse(key, `the value cannot be stored as JSON: ${err && err.message}`);
      }
    case 'function':
    case 'symbol':
      throw refuse(key, `a ${typeof value} cannot be stored`);
    default:
      return value;
  }
}

/**
 * `[keys, values, json]` of one record; `json` lists the indices of values that are
 * JSON text of a container, under the kernel contract (`asIs`), else it is undefined.
 */
function encodeRecord(data, asIs = false, json = asIs ? [] : undefined, offset = 0) {
  const got = describeNonRecord(data);
  if (got !== undefined) {
    throw makeError('INVALID_REQUEST', `A record must be a plain object of field values, got ${got}`);
  }
  let keys;
  try {
    keys = Object.keys(data);
  } catch (err) {
    throw makeError('INVALID_REQUEST', `The record's fields cannot be read: ${err && err.message}`);
  }
  const values = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    let value;
    try {
      value = data[keys[i]];
    } catch (err) {
      throw refuse(keys[i], `reading it threw: ${err && err.message}`);
    }
    if (keys[i] === 'id' && value !== null && typeof value === 'object' && !(value instanceof Date)) {
      // Stored as its JSON text, it would become an id nobody can look up by.
      throw refuse('id', 'a record id must be a string or a number');
    }
    values[i] = encodeValue(keys[i], value, asIs, json, offset + i);
  }
  return [keys, values, json?.length ? json : undefined];
}

function sameKeys(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Many records as `[shapes, counts, values]`: `shapes[i]` lists the keys of the next
 * `counts[i]` records, whose values follow one another in the flat `values` list.
 */
function encodeRecords(records, asIs = false) {
  if (!Array.isArray(records)) {
    throw makeError(
      'INVALID_REQUEST',
      `Records must be an array of record objects, got ${records === null ? 'null' : typeof records}`,
    );
  }
  const shapes = [];
  const counts = [];
  const values = [];
  const json = asIs ? [] : undefined;
  let keys;
  for (let r = 0; r < records.length; r++) {
    let recordKeys, recordValues;
    try {
      [recordKeys, recordValues] = encodeRecord(records[r], asIs, json, values.length);
    } catch (err) {
      err.message = `Record ${r}: ${err.message}`;
      throw err;
    }
    if (keys === undefined || !sameKeys(keys, recordKeys)) {
      keys = recordKeys;
      shapes.push(keys);
      counts.push(0);
    }
    counts[counts.length - 1]++;
    for (const v of recordValues) values.push(v);
  }
  return [shapes, counts, values, json?.length ? json : undefined];
}

module.exports = { encodeRecord, encodeRecords };
