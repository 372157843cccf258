'use strict';

// The six timed phases, each `n` kernel calls awaited one at a time, and the untimed
// checks that follow each one. Every call goes through `ql` as an app makes it; with
// tenancy on, every call carries an execution context with the tenant.

const { isDeepStrictEqual } = require('util');
const A = require('./app');

const PHASES = ['insert', 'findOne', 'find', 'update', 'count', 'delete'];

/**
 * The per-run state the phases share: `ql`, the op count, the values to send, the ids the
 * inserts got, and how a call spells its tenant. `base` offsets the row numbers (the warm-up
 * uses other rows).
 */
function session(ql, { n, tenant, base = 0 }) {
  // A fresh context per call, as a request handler would build one.
  const context = tenant ? () => ({ tenantId: A.TENANT }) : () => undefined;
  // The values the calls send, built before any clock starts.
  const each = (fn) => Array.from({ length: n }, (_, i) => fn(i));
  return {
    ql,
    n,
    base,
    tenant,
    ids: new Array(n),
    updated: false,
    rows: each((i) => A.makeRow(base + i)),
    changes: each((i) => A.makeUpdate(base + i)),
    finds: each(A.findQuery),
    counts: each(A.countFilter),
    /** Options of insert/update/delete: `{ ...extra, context }`. */
    opts(extra) {
      const ctx = context();
      return ctx ? { ...extra, context: ctx } : extra;
    },
    /** find/findOne/count take the context inside the query. */
    query(q) {
      const ctx = context();
      return ctx ? { ...q, context: ctx } : q;
    },
    /** Row `i` as the database should hold it now. */
    model(i) {
      const row = A.makeRow(base + i);
      return this.updated ? { ...row, ...A.makeUpdate(base + i) } : row;
    },
  };
}

const RUN = {
  async insert(s) {
    for (let i = 0; i < s.n; i++) {
      const row = await s.ql.insert(A.OBJECT, s.rows[i], s.opts(undefined));
      if (!row || !row.id) throw new Error(`insert #${i} returned ${JSON.stringify(row)}`);
      s.ids[i] = row.id;
    }
  },
  async findOne(s) {
    for (let i = 0; i < s.n; i++) {
      const id = s.ids[A.scatter(i, s.n)];
      const row = await s.ql.findOne(A.OBJECT, s.query({ where: { id } }));
      if (!row || row.id !== id) throw new Error(`findOne(${id}) returned ${JSON.stringify(row)}`);
    }
  },
  async find(s) {
    for (let j = 0; j < s.n; j++) {
      const rows = await s.ql.find(A.OBJECT, s.query(s.finds[j]));
      if (!Array.isArray(rows)) throw new Error(`find #${j} returned ${typeof rows}`);
    }
  },
  async update(s) {
    for (let i = 0; i < s.n; i++) {
      const k = A.scatter(i, s.n);
      const row = await s.ql.update(A.OBJECT, s.changes[k], s.opts({ where: { id: s.ids[k] } }));
      if (!row) throw new Error(`update(${s.ids[k]}) updated nothing`);
    }
    s.updated = true;
  },
  async count(s) {
    for (let j = 0; j < s.n; j++) {
      const c = await s.ql.count(A.OBJECT, s.query({ where: s.counts[j] }));
      if (typeof c !== 'number') throw new Error(`count #${j} returned ${JSON.stringify(c)}`);
    }
  },
  async delete(s) {
    for (let i = 0; i < s.n; i++) {
      const id = s.ids[A.scatter(i, s.n)];
      const ok = await s.ql.delete(A.OBJECT, s.opts({ where: { id } }));
      if (!ok) throw new Error(`delete(${id}) deleted nothing`);
    }
  },
};

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

/** The fields the app wrote, as values (drivers may hand dates back as Date or text). */
function written(row) {
  const day = row.due_date instanceof Date ? row.due_date.toISOString().slice(0, 10) : row.due_date;
  return { title: row.title, amount: row.amount, paid: row.paid, due_date: day, lines: row.lines };
}

async function sameAsModel(s, i) {
  const row = await s.ql.findOne(A.OBJECT, s.query({ where: { id: s.ids[i] } }));
  check(row, `row ${s.ids[i]} not found`);
  const want = s.model(i);
  check(
    isDeepStrictEqual(written(row), want),
    `row ${i} reads back as ${JSON.stringify(written(row))}, want ${JSON.stringify(want)}`,
  );
  if (s.tenant) check(row.organization_id === A.TENANT, `row ${i} has tenant ${row.organization_id}`);
  return row;
}

/**
 * All rows, seen without a tenant (the system path is not scoped); with a database per
 * tenant, all rows of the tenant's database (a call without a tenant reads the control one).
 */
async function total(s) {
  return s.ql.count(A.OBJECT, s.perTenant ? s.query({ where: {} }) : { where: {} });
}

const SAMPLES = [0, 1, 7, 100];

/** Untimed: each phase did what it says, on the rows the model predicts. */
const VERIFY = {
  async insert(s) {
    check((await total(s)) === s.n, `table holds ${await total(s)} rows after ${s.n} inserts`);
    for (const i of SAMPLES) if (i < s.n) await sameAsModel(s, i);
    if (s.tenant) {
      // Tenancy really applies: another tenant sees none of these rows.
      const other = { context: { tenantId: A.OTHER_TENANT } };
      const seen = await s.ql.count(A.OBJECT, { where: {}, ...other });
      check(seen === 0, `tenant ${A.OTHER_TENANT} counts ${seen} of ${A.TENANT}'s rows`);
      const row = await s.ql.findOne(A.OBJECT, { where: { id: s.ids[0] }, ...other });
      check(row == null, `tenant ${A.OTHER_TENANT} reads ${A.TENANT}'s row ${s.ids[0]}`);
    }
  },
  async findOne() {},
  async find(s) {
    const all = Array.from({ length: s.n }, (_, i) => s.model(i));
    for (const j of SAMPLES) {
      const q = A.findQuery(j);
      const rows = await s.ql.find(A.OBJECT, s.query(q));
      const want = all
        .filter((r) => !r.paid && r.amount >= q.where.amount.$gte)
        .map((r) => r.amount)
        .sort((a, b) => a - b)
        .slice(0, q.limit);
      const got = rows.map((r) => r.amount);
      check(isDeepStrictEqual(got, want), `find #${j} amounts ${got} want ${want}`);
    }
  },
  async update(s) {
    for (const i of SAMPLES) if (i < s.n) await sameAsModel(s, i);
  },
  async count(s) {
    for (const j of SAMPLES) {
      const f = A.countFilter(j);
      const want = Array.from({ length: s.n }, (_, i) => s.model(i)).filter(
        (r) => r.paid && r.amount < f.amount.$lt,
      ).length;
      const got = await s.ql.count(A.OBJECT, s.query({ where: f }));
      check(got === want, `count #${j} = ${got}, want ${want}`);
    }
  },
  async delete(s) {
    check((await total(s)) === 0, `${await total(s)} rows left after deleting all`);
  },
};

module.exports = { PHASES, RUN, VERIFY, session };
