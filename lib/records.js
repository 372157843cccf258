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

function refuse(key, reason) {
  return makeError('INVALID_REQUEST', `Field "${key}": ${reason}`);
}

/** A field value as it crosses: containers become JSON text (unless `asIs`); Dates and Buffers stay. */
function encodeValue(key, value, asIs) {
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
    case 'object':
      if (value === null || ArrayBuffer.isView(value)) return value;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw refuse(key, 'an invalid Date cannot be stored');
        return value;
      }
      if (asIs) return value;
      try {
        return JSON.stringify(value);
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

/** `[keys, values]` of one record; `asIs` keeps objects and arrays as they are. */
function encodeRecord(data, asIs = false) {
  if (data === null || typeof data !== 'object' || Array.isArray(data) || ArrayBuffer.isView(data)) {
    const got = data === null ? 'null' : Array.isArray(data) ? 'an array' : `a ${typeof data}`;
    throw makeError('INVALID_REQUEST', `A record must be an object of field values, got ${got}`);
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
    values[i] = encodeValue(keys[i], value, asIs);
  }
  return [keys, values];
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
  let keys;
  for (let r = 0; r < records.length; r++) {
    let recordKeys, recordValues;
    try {
      [recordKeys, recordValues] = encodeRecord(records[r], asIs);
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
  return [shapes, counts, values];
}

module.exports = { encodeRecord, encodeRecords };
