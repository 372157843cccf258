'use strict';

// Best-of-rounds summary, the markdown tables and the PASS/FAIL lines of the three modes.

const { PHASES } = require('./phases');
const { fmtRate } = require('../report');

const KIND_TITLES = { memory: '`:memory:`', wal: 'WAL file', remote: 'libSQL server (sqld on 127.0.0.1)' };
const WHERE = { memory: ':memory:', wal: 'WAL file', remote: 'sqld' };

const PHASE_LABELS = {
  insert: 'insert',
  findOne: 'findOne (by id)',
  find: 'find (filter, sort, limit 20)',
  update: 'update (by id)',
  count: 'count (filter)',
  delete: 'delete (by id)',
};

// Minimum native/typescript ops/s ratio per phase (the same on both databases).
const SPEED_TARGETS = { insert: 2.5, findOne: 2.5, update: 2.5, find: 2 };
// Tenancy may cost native at most this share of its ops/s, in every phase.
const TENANCY_MAX_COST = 0.05;

/**
 * runs: [{ kind, variant, ok, result }] -> best[kind][variant][phase] = highest ops/s over
 * the rounds (the convention of bench/run.js: the best round is the one least disturbed).
 */
function summarize(runs) {
  const best = {};
  for (const run of runs) {
    if (!run.ok) continue;
    const byKind = (best[run.kind] = best[run.kind] || {});
    const b = (byKind[run.variant] = byKind[run.variant] || {});
    for (const phase of PHASES) {
      const { ops, ms } = run.result.phases[phase];
      b[phase] = Math.max(b[phase] || 0, ops / (ms / 1000));
    }
  }
  return best;
}

function rate(best, kind, variant, phase) {
  return best[kind] && best[kind][variant] && best[kind][variant][phase];
}

function fmtRatio(x) {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(2)}x`;
}

function pct(x) {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(1)}%`;
}

function mdTable(head, rows) {
  const align = head.map((_, i) => (i === 0 ? '---' : '--:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/**
 * ops/s per driver and native/typescript, for one database; with the `engine` floor,
 * also typescript/engine: the most any driver could reach against typescript, since the
 * engine's own cost stays in every call.
 */
function speedTable(best, kind, drivers) {
  const both = drivers.includes('native') && drivers.includes('typescript');
  const floor = both && drivers.includes('engine');
  const head = [
    'phase (ops/s)',
    ...drivers,
    ...(both ? ['native/typescript', 'target'] : []),
    ...(floor ? ['ceiling (engine/typescript)'] : []),
  ];
  const rows = PHASES.map((phase) => {
    const cells = [PHASE_LABELS[phase], ...drivers.map((d) => fmtRate(rate(best, kind, d, phase)))];
    if (both) {
      const r = rate(best, kind, 'native', phase) / rate(best, kind, 'typescript', phase);
      cells.push(fmtRatio(r), SPEED_TARGETS[phase] ? `>= ${SPEED_TARGETS[phase]}x` : '');
    }
    if (floor)
      cells.push(fmtRatio(rate(best, kind, 'engine', phase) / rate(best, kind, 'typescript', phase)));
    return cells;
  });
  return mdTable(head, rows);
}

function speedTargets(best, kinds) {
  const out = [];
  for (const kind of kinds) {
    for (const [phase, min] of Object.entries(SPEED_TARGETS)) {
      const text = `${WHERE[kind]} ${phase}: native/typescript >= ${min}x`;
      const r = rate(best, kind, 'native', phase) / rate(best, kind, 'typescript', phase);
      if (!Number.isFinite(r)) out.push(`SKIP ${text} (needs a native and a typescript run)`);
      else out.push(`${r >= min ? 'PASS' : 'FAIL'} ${text}: ${fmtRatio(r)}`);
    }
  }
  return out;
}

/** 1 - with/without: the share of native's ops/s that tenancy takes. */
function tenancyCost(best, kind, phase) {
  return 1 - rate(best, kind, 'tenant', phase) / rate(best, kind, 'no-tenant', phase);
}

/** Microseconds per call of a variant. */
function micros(best, kind, variant, phase) {
  return 1e6 / rate(best, kind, variant, phase);
}

/**
 * The driver's part of tenancy: the extra time a call takes with a tenant, less the extra
 * time the engine alone takes with one (the floor runs), as a share of the call's time.
 */
function driverTenancyCost(best, kind, phase) {
  const native = micros(best, kind, 'tenant', phase) - micros(best, kind, 'no-tenant', phase);
  const engine = micros(best, kind, 'engine-tenant', phase) - micros(best, kind, 'engine-no-tenant', phase);
  return (native - engine) / micros(best, kind, 'tenant', phase);
}

function tenancyTable(best, kind) {
  const us = (v, phase) => `${micros(best, kind, v, phase).toFixed(1)} µs`;
  const head = [
    'phase',
    'native with tenant',
    'without',
    'engine alone with',
    'without',
    'tenancy cost (all)',
    "the driver's part",
  ];
  const rows = PHASES.map((phase) => [
    PHASE_LABELS[phase],
    us('tenant', phase),
    us('no-tenant', phase),
    us('engine-tenant', phase),
    us('engine-no-tenant', phase),
    pct(tenancyCost(best, kind, phase)),
    pct(driverTenancyCost(best, kind, phase)),
  ]);
  return mdTable(head, rows);
}

function tenancyTargets(best, kinds) {
  const out = [];
  for (const kind of kinds) {
    for (const phase of PHASES) {
      const text = `${WHERE[kind]} ${phase}: the driver's tenancy costs <= ${TENANCY_MAX_COST * 100}% of a call`;
      const cost = driverTenancyCost(best, kind, phase);
      if (!Number.isFinite(cost)) out.push(`SKIP ${text} (needs all four runs)`);
      else {
        const all = ` (with the engine's own: ${pct(tenancyCost(best, kind, phase))})`;
        out.push(`${cost <= TENANCY_MAX_COST ? 'PASS' : 'FAIL'} ${text}: ${pct(cost)}${all}`);
      }
    }
  }
  return out;
}

/** Database per tenant may cost a ql call on a cached tenant at most this share of its ops/s. */
const TENANTS_MAX_COST = 0.1;

function tenantsTable(best, kind) {
  const head = ['phase', 'one database', 'database per tenant', 'per tenant / one'];
  const rows = PHASES.map((phase) => {
    const one = rate(best, kind, 'native', phase);
    const per = rate(best, kind, 'tenants', phase);
    return [PHASE_LABELS[phase], fmtRate(one), fmtRate(per), fmtRatio(per / one)];
  });
  return mdTable(head, rows);
}

function tenantsTargets(best, kinds) {
  const out = [];
  for (const kind of kinds) {
    for (const phase of PHASES) {
      const text = `${WHERE[kind]} ${phase}: database per tenant within ${TENANTS_MAX_COST * 100}% of one database`;
      const r = rate(best, kind, 'tenants', phase) / rate(best, kind, 'native', phase);
      if (!Number.isFinite(r)) out.push(`SKIP ${text} (needs both runs)`);
      else out.push(`${r >= 1 - TENANTS_MAX_COST ? 'PASS' : 'FAIL'} ${text}: ${fmtRatio(r)}`);
    }
  }
  return out;
}

/** result: one profiled run's result -> where each phase's CPU time went. */
function profileTable(result) {
  const head = ['phase', 'ops/s (profiled)', 'driver', '(addon)', 'kernel', 'GC', 'idle', 'other', 'samples'];
  const rows = PHASES.map((phase) => {
    const p = result.profile[phase];
    const { ops, ms } = result.phases[phase];
    const s = p.share;
    return [
      PHASE_LABELS[phase],
      fmtRate(ops / (ms / 1000)),
      pct(s.driver),
      pct(s.addon),
      pct(s.kernel),
      pct(s.gc),
      pct(s.idle),
      pct(s.other),
      String(p.samples),
    ];
  });
  return mdTable(head, rows);
}

/** The heaviest frames of the addon and the kernel per phase, to check the attribution. */
function profileFrames(result) {
  const fmt = (list) => list.map((f) => `${f.frame} ${pct(f.share)}`).join(', ') || 'none';
  return PHASES.map((phase) => {
    const { top } = result.profile[phase];
    return `${phase}: addon ${fmt(top.addon)}; kernel ${fmt(top.kernel)}`;
  });
}

module.exports = {
  KIND_TITLES,
  WHERE,
  summarize,
  speedTable,
  speedTargets,
  tenancyTable,
  tenancyTargets,
  tenantsTable,
  tenantsTargets,
  profileTable,
  profileFrames,
};
