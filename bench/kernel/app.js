'use strict';

// The app every run serves: one object, its manifest, and the values the timed phases
// write and query. Everything is derived from the op index, so both drivers (and every
// round) see exactly the same data.

const { hash } = require('../workload');

const OBJECT = 'invoice';
const TENANT = 'org_bench';
const OTHER_TENANT = 'org_other';

/** Text, number, boolean, date and JSON fields, the tenant field, and one index. */
const OBJECT_DEF = {
  name: OBJECT,
  label: 'Invoice',
  fields: {
    title: { type: 'text', required: true },
    amount: { type: 'number' },
    paid: { type: 'boolean' },
    due_date: { type: 'date' },
    lines: { type: 'json' },
    // Declared so the engine (computeTenantField) and both drivers treat it as the tenant
    // field; with a tenant in the context it is stamped on insert and scopes every call.
    organization_id: { type: 'text' },
  },
  // The find and count filters range over `amount`; the find also sorts on it.
  indexes: [{ fields: ['amount'] }],
};

/** A kernel plugin that registers the object with the manifest service during init. */
function appPlugin() {
  return {
    name: 'bench-app',
    version: '1.0.0',
    init: (ctx) =>
      ctx.getService('manifest').register({
        id: 'com.bench.kernel',
        name: 'bench-kernel',
        version: '1.0.0',
        objects: [OBJECT_DEF],
      }),
  };
}

const AMOUNT_RANGE = 10000;
const BASE_DAY = Date.UTC(2025, 0, 1);

/** The record `ql.insert` gets for op `i` (no id, no tenant: the engine and driver add them). */
function makeRow(i) {
  return {
    title: `invoice ${i}`,
    amount: (hash(i) % (AMOUNT_RANGE * 100)) / 100,
    paid: i % 3 === 0,
    due_date: new Date(BASE_DAY + (i % 365) * 86400000).toISOString().slice(0, 10),
    lines: [{ sku: `sku-${i % 50}`, qty: (i % 7) + 1 }, { note: i % 2 ? 'odd' : 'even' }],
  };
}

/** The changes `ql.update` makes to row `i`: a number, a boolean and the JSON field. */
function makeUpdate(i) {
  const row = makeRow(i);
  return { amount: row.amount + 1, paid: !row.paid, lines: [...row.lines, { updated: true }] };
}

/** The find of op `j`: unpaid invoices from some amount up, cheapest first, one page. */
function findQuery(j) {
  const from = (j * 4801) % (AMOUNT_RANGE * 0.9);
  return {
    where: { paid: false, amount: { $gte: from } },
    orderBy: [{ field: 'amount', order: 'asc' }],
    limit: 20,
  };
}

/** The count of op `j`: paid invoices below some amount. */
function countFilter(j) {
  return { paid: true, amount: { $lt: (j * 3109) % AMOUNT_RANGE } };
}

/** Visits rows in a scattered but fixed order (7919 is prime, so i -> 7919i mod n is a permutation for n not a multiple of it). */
function scatter(i, n) {
  return (i * 7919) % n;
}

module.exports = {
  OBJECT,
  TENANT,
  OTHER_TENANT,
  OBJECT_DEF,
  appPlugin,
  makeRow,
  makeUpdate,
  findQuery,
  countFilter,
  scatter,
};
