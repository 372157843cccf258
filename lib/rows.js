'use strict';

// Rows arrive from Rust as `[columns, chunk, ...]`: the statement's frozen column-name
// array (the same array object for every result of one prepared statement), then all cells
// row after row, in chunks of whole rows. A factory compiled per column array builds each row object with literal keys,
// which V8 does far faster than N-API can set properties one by one.

const byArray = new WeakMap();
const MAX_BY_NAMES = 512;
const byNames = new Map();

/**
 * A literal's key: `"__proto__": x` would set the prototype and lose the column, a computed
 * `["__proto__"]: x` makes an own property (as better-sqlite3's rows have).
 */
const literalKey = (column) => (column === '__proto__' ? '["__proto__"]' : JSON.stringify(column));

function compileFactory(columns) {
  try {
    const fields = columns.map((c, i) => `${literalKey(c)}: v[o + ${i}]`);
    return new Function('v', 'o', `return { ${fields.join(', ')} };`);
  } catch {
    // Code generation may be disallowed (--disallow-code-generation-from-strings).
    return undefined;
  }
}

function slowFactory(columns) {
  return (v, o) => {
    const row = {};
    for (let i = 0; i < columns.length; i++) {
      Object.defineProperty(row, columns[i], {
        value: v[o + i],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return row;
  };
}

function factoryFor(columns) {
  let make = byArray.get(columns);
  if (make !== undefined) return make;
  // A new array for a known column list (another statement, a raw query).
  const key = columns.join('\u0000');
  make = byNames.get(key);
  if (make === undefined) {
    if (byNames.size >= MAX_BY_NAMES) byNames.clear();
    make = compileFactory(columns) ?? slowFactory(columns);
    byNames.set(key, make);
  }
  byArray.set(columns, make);
  return make;
}

/** `[columns, chunk, ...]` (each chunk whole rows of cells) -> array of row objects. */
function toRows(result) {
  const columns = result[0];
  const width = columns.length;
  if (width === 0) return [];
  const make = factoryFor(columns);
  const rows = [];
  for (let c = 1; c < result.length; c++) {
    const cells = result[c];
    for (let o = 0; o < cells.length; o += width) rows.push(make(cells, o));
  }
  return rows;
}

/** `[columns, cells]` of one row (or null) -> the row object (or null). */
function toRow(result) {
  if (result === null) return null;
  return factoryFor(result[0])(result[1], 0);
}

module.exports = { toRows, toRow };
