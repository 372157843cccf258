'use strict';

// Who spends a kernel call's CPU time: attributes the samples of a V8 CPU profile (the
// inspector's Profiler, the same sampler as `node --cpu-prof`) to
//   driver  the driver under test; `addon` is the part in its native code (Rust + SQLite,
//           or better-sqlite3's C++), which V8 samples as a frame without a script URL
//   kernel  the engine: @objectstack/* packages other than the driver
//   gc      V8's garbage collector
//   idle    the thread waiting (no JS, no GC)
//   other   the rest: V8 '(program)', Node's own internals, this bench's loop
//
// A sample belongs to the innermost frame on its stack that is driver or kernel code.
// Builtins, Node internals and third-party helpers (a JSON.parse, a Promise, zod) carry no
// owner of their own, so they count for whoever called them.

const path = require('path');

const CATEGORIES = ['driver', 'addon', 'kernel', 'gc', 'idle', 'other'];

const V8_SPECIAL = {
  '(garbage collector)': 'gc',
  '(idle)': 'idle',
  '(program)': 'other',
  '(root)': 'other',
};

/**
 * How to tell the driver's frames, per driver: `isDriver(url)` for its JavaScript, and the
 * names V8 gives its native functions (a napi-rs class's methods are sampled under the
 * class name, e.g. `NativeDriver`).
 */
function driverRules(driver, nativeRoot) {
  if (driver === 'native') {
    const root = nativeRoot + path.sep;
    const ownFiles = ['index.js', 'index.mjs', 'native.js'].map((f) => root + f);
    const native = require(path.join(nativeRoot, 'native.js'));
    return {
      isDriver: (file) =>
        (file.startsWith(root + 'lib' + path.sep) || ownFiles.includes(file)) &&
        !file.includes('node_modules'),
      addonNames: nativeNames(native),
    };
  }
  // The kernel's TS driver: the driver package, driver-sql it extends, knex, better-sqlite3.
  const DRIVER_PKG = /node_modules\/(@objectstack\/driver-[^/]+|knex|better-sqlite3)\//;
  return {
    isDriver: (file) => DRIVER_PKG.test(file),
    addonNames: nativeNames(
      require(
        require('../sqlite-binding').nativeBinding() || 'better-sqlite3/build/Release/better_sqlite3.node',
      ),
    ),
  };
}

/** The names a native module's functions, classes and methods can be sampled under. */
function nativeNames(exported) {
  const names = new Set();
  for (const key of Object.getOwnPropertyNames(exported)) {
    const value = Object.getOwnPropertyDescriptor(exported, key).value;
    if (typeof value !== 'function') continue;
    names.add(value.name || key);
    if (value.prototype) for (const m of Object.getOwnPropertyNames(value.prototype)) names.add(m);
  }
  names.delete('constructor');
  return names;
}

function fileOf(url) {
  if (!url) return '';
  return url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
}

/** -> (nodeId) => category, for the nodes of one profile. */
function classifier(profile, rules) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);

  const owner = (file) => {
    if (!file || file.startsWith('node:')) return undefined;
    if (rules.isDriver(file)) return 'driver';
    if (/node_modules\/@objectstack\//.test(file)) return 'kernel';
    return undefined;
  };

  // Memoised per node: a node is one call stack, the same for every sample on it.
  const memo = new Map();
  return (id) => {
    if (memo.has(id)) return memo.get(id);
    const frame = byId.get(id).callFrame;
    let cat = V8_SPECIAL[frame.functionName];
    if (!cat) {
      for (let cur = id; cur !== undefined && !cat; cur = parent.get(cur)) {
        cat = owner(fileOf(byId.get(cur).callFrame.url));
      }
      cat = cat || 'other';
      if (cat === 'driver' && !frame.url && rules.addonNames.has(frame.functionName)) cat = 'addon';
    }
    memo.set(id, cat);
    return cat;
  };
}

/**
 * profile: a `Profiler.stop()` result's `profile`. -> { samples, ms, share: { category: 0..1 } }
 * (`share.addon` is part of `share.driver`).
 */
function attribute(profile, rules) {
  const categoryOf = classifier(profile, rules);
  // Weight each sample by the time it stands for: the sampler's interval drifts.
  const ms = Object.fromEntries(CATEGORIES.map((c) => [c, 0]));
  const deltas = profile.timeDeltas || [];
  let totalMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (deltas[i + 1] !== undefined ? deltas[i + 1] : deltas[i] || 0) / 1000;
    ms[categoryOf(profile.samples[i])] += dt;
    totalMs += dt;
  }
  const share = {};
  for (const c of CATEGORIES) share[c] = totalMs > 0 ? ms[c] / totalMs : 0;
  share.driver += share.addon; // the addon is part of the driver
  return { samples: profile.samples.length, ms: totalMs, share };
}

/** The frames with the most samples of their own in one category: to check the attribution by eye. */
function topFrames(profile, rules, category, limit = 5) {
  const categoryOf = classifier(profile, rules);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) {
    if (categoryOf(id) !== category) continue;
    const f = byId.get(id).callFrame;
    const where = f.url ? `${path.basename(fileOf(f.url))}:${f.lineNumber + 1}` : '(native)';
    const key = `${f.functionName || '(anonymous)'} ${where}`;
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, samples]) => ({ frame, share: samples / profile.samples.length }));
}

module.exports = { CATEGORIES, driverRules, attribute, topFrames };
