'use strict';

// Best-of-rounds summary, the markdown tables and the target check.

const { PHASES } = require('./workload');

const SUBJECT = 'native';
const KERNEL = 'objectstack';
const FLOOR = 'better-sqlite3';

const KIND_TITLES = {
  memory: '`:memory:`',
  wal: 'WAL file',
  remote: 'libSQL server (sqld on 127.0.0.1, HTTP)',
  replica: 'embedded replica (a file, synced with sqld on 127.0.0.1)',
};

const ROW_LABELS = {
  bulk: 'bulk insert (rows/s)',
  create: 'create (ops/s)',
  findOne: 'findOne (ops/s)',
  update: 'update (ops/s)',
  delete: 'delete (ops/s)',
  find: 'find: n > k, sort, limit 50 (ops/s)',
  rss: 'peak RSS (MB)',
};

// [phase, minimum native/objectstack ratio]
const TARGETS = {
  memory: [
    ['create', 5],
    ['findOne', 5],
    ['update', 5],
    ['delete', 3],
    ['bulk', 5],
  ],
  wal: [
    ['create', 3],
    ['update', 3],
    ['findOne', 5],
    ['bulk', 5],
    ['delete', 1.5],
  ],
};
const FIND_FLOOR = 0.9;

/**
 * runs: [{ kind, driver, ok, result }] -> best[kind][driver] =
 *   { ops: { phase: ops/s }, rssMB, runs, pragmas, columns } (undefined if no run succeeded).
 * Best = highest ops/s per phase and lowest peak RSS over the rounds.
 */
function summarize(runs) {
  const best = {};
  for (const run of runs) {
    if (!run.ok) continue;
    const r = run.result;
    const byKind = (best[run.kind] = best[run.kind] || {});
    const b = (byKind[run.driver] = byKind[run.driver] || {
      ops: {},
      rssMB: Infinity,
      runs: 0,
      pragmas: r.pragmas,
      columns: r.columns,
    });
    b.runs++;
    for (const phase of PHASES) {
      const { ops, ms } = r.phases[phase];
      const rate = ops / (ms / 1000);
      if (!(b.ops[phase] >= rate)) b.ops[phase] = rate;
    }
    b.rssMB = Math.min(b.rssMB, r.maxRssKB / 1024);
  }
  return best;
}

function fmtRate(x) {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  return Math.round(x).toLocaleString('en-US');
}

function fmtMB(x) {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(1);
}

function fmtRatio(x) {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  if (x < 1) return `${x.toFixed(2)}x`;
  if (x < 100) return `${x.toFixed(1)}x`;
  return `${Math.round(x)}x`;
}

function value(best, kind, driver, phase) {
  const b = best[kind] && best[kind][driver];
  if (!b) return undefined;
  return phase === 'rss' ? b.rssMB : b.ops[phase];
}

/** native/other for speed, other/native for RSS. */
function ratio(best, kind, other, phase) {
  const mine = value(best, kind, SUBJECT, phase);
  const theirs = value(best, kind, other, phase);
  if (mine === undefined || theirs === undefined) return undefined;
  return phase === 'rss' ? theirs / mine : mine / theirs;
}

function table(best, kind, drivers) {
  const others = drivers.includes(SUBJECT) ? drivers.filter((d) => d !== SUBJECT) : [];
  const head = ['phase', ...drivers, ...others.map((o) => `${SUBJECT}/${o}`)];
  const lines = [
    `| ${head.join(' | ')} |`,
    `| --- | ${head
      .slice(1)
      .map(() => '--:')
      .join(' | ')} |`,
  ];
  for (const phase of [...PHASES, 'rss']) {
    const cells = [ROW_LABELS[phase]];
    for (const d of drivers) {
      const v = value(best, kind, d, phase);
      cells.push(phase === 'rss' ? fmtMB(v) : fmtRate(v));
    }
    for (const o of others) cells.push(fmtRatio(ratio(best, kind, o, phase)));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** [{ status: 'PASS'|'FAIL'|'SKIP', text }] */
function checkTargets(best, kinds) {
  const out = [];
  const skip = (text, why) => out.push({ status: 'SKIP', text: `${text} (${why})` });
  // The server columns have no targets: they show what a round trip costs each driver.
  for (const kind of kinds.filter((k) => k === 'memory' || k === 'wal')) {
    const where = kind === 'memory' ? ':memory:' : 'WAL file';
    for (const [phase, min] of TARGETS[kind]) {
      const text = `${where} ${phase}: native/objectstack >= ${min}x`;
      const r = ratio(best, kind, KERNEL, phase);
      if (r === undefined) skip(text, `needs ${SUBJECT} and ${KERNEL}`);
      else out.push({ status: r >= min ? 'PASS' : 'FAIL', text: `${text}: ${r.toFixed(2)}x` });
    }
    {
      const text = `${where} find: native >= ${FIND_FLOOR} x better-sqlite3`;
      const r = ratio(best, kind, FLOOR, 'find');
      if (r === undefined) skip(text, `needs ${SUBJECT} and ${FLOOR}`);
      else {
        const detail = `${fmtRate(value(best, kind, SUBJECT, 'find'))} vs ${fmtRate(value(best, kind, FLOOR, 'find'))} ops/s = ${r.toFixed(2)}`;
        out.push({ status: r >= FIND_FLOOR ? 'PASS' : 'FAIL', text: `${text}: ${detail}` });
      }
    }
    {
      const text = `${where} peak RSS: native < objectstack`;
      const mine = value(best, kind, SUBJECT, 'rss');
      const theirs = value(best, kind, KERNEL, 'rss');
      if (mine === undefined || theirs === undefined) skip(text, `needs ${SUBJECT} and ${KERNEL}`);
      else
        out.push({
          status: mine < theirs ? 'PASS' : 'FAIL',
          text: `${text}: ${fmtMB(mine)} MB vs ${fmtMB(theirs)} MB`,
        });
    }
  }
  return out;
}

/** Formats markdown with the repo's prettier (so `prettier --check .` stays green). */
async function prettify(markdown) {
  try {
    const prettier = require('prettier');
    return await prettier.format(markdown, { parser: 'markdown' });
  } catch {
    return markdown;
  }
}

module.exports = {
  SUBJECT,
  KERNEL,
  FLOOR,
  KIND_TITLES,
  summarize,
  table,
  checkTargets,
  prettify,
  fmtRate,
  fmtMB,
};
