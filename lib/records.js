'use strict';

// Records cross into Rust as parallel key and value lists. V8 lists an object's keys and
// values far faster than N-API can enumerate properties (50,000 six-field records: 175 ms
// through N-API, 45 ms this way). Nested objects and arrays are stored as JSON text in any
// column, so V8's JSON.stringify serialises them here, where it is cheapest; except for the
// kernel contract, where a JSON field's strings are JSON-encoded too, so Rust must still
// tell a string from a structure (`asIs`).

/** A field value as it crosses: containers become JSON text; Dates and Buffers stay. */
function encodeValue(value) {
  if (value === null || typeof value !== 'object' || value instanceof Date || ArrayBuffer.isView(value)) {
    return value;
  }
  return JSON.stringify(value);
}

/** `[keys, values]` of one record; `asIs` keeps objects and arrays as they are. */
function encodeRecord(data, asIs = false) {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    // Let the native side refuse it with the usual message.
    return [[], data];
  }
  const keys = Object.keys(data);
  const values = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) values[i] = asIs ? data[keys[i]] : encodeValue(data[keys[i]]);
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
  if (!Array.isArray(records)) return [[], [], records];
  const shapes = [];
  const counts = [];
  const values = [];
  let keys;
  for (const record of records) {
    const [recordKeys, recordValues] = encodeRecord(record, asIs);
    if (!Array.isArray(recordValues)) return [[], [], record];
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
