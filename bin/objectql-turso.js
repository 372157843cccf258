#!/usr/bin/env node
'use strict';

// objectql-turso: schema migrations from the command line. Argument parsing and output
// only: a plan is the driver's (`planMigration`, `applyMigrationPlan`) and a fleet run is
// lib/fleet.js's. To add a subcommand, add an entry to COMMANDS (its flags, its help, its
// run); the dispatch, `--help` and usage errors come with it.

const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');
const { pathToFileURL } = require('url');

const { TursoDriver } = require('../lib/driver.js');
const { migrateTenants, normalizeObjects } = require('../lib/fleet.js');
const { version } = require('../package.json');

const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, pending: 3 });

const EXIT_CODES = `Exit codes:
  0  success: applied, or nothing to do (up to date)
  1  failure: refused, failed, or any tenant failed (a dry run: the plan would be refused)
  2  usage error: an unknown command or flag, a missing or bad value, a file it names
     missing or not as described (no database was opened)
  3  diff only: changes are pending`;

const TOOL_HELP = `objectql-turso ${version}: safe schema migrations for @objectql/driver-turso databases

Usage:
  objectql-turso diff --url <url> --objects <file> [options]
  objectql-turso apply --url <url> --objects <file> [options]
  objectql-turso migrate-tenants --url-template <template> --tenants <list> --objects <file> [options]
  objectql-turso <command> --help

Commands:
  diff             Print what it would take to bring a database to the object definitions.
  apply            Plan and apply it in one transaction (drops only with --allow-destructive).
  migrate-tenants  The same across many tenant databases, one transaction each.

The objects file: a JSON array of object definitions ({ name, fields, indexes? }), a JS
module (.js, .cjs, .mjs) exporting such an array (default export or \`objects\`), or a map
{ name: definition } in either.

${EXIT_CODES}
`;

/** Flags every command that reads object definitions takes. */
const PLAN_FLAGS = {
  objects: { type: 'string' },
  protect: { type: 'string' },
  scope: { type: 'string' },
  json: { type: 'boolean' },
  sql: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
const APPLY_FLAGS = {
  'allow-destructive': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  unconvertible: { type: 'string' },
};

const PLAN_HELP = `  --objects <file>        The object definitions (.json, .js, .cjs, .mjs). Required.
  --protect <prefixes>    Table name prefixes never dropped or rebuilt, comma-separated
                          (default: sys_,_objectstack_; '' protects none).
  --scope <scope>         database (default): tables no object names are planned for
                          dropping; objects: only the objects' own tables are compared.
  --sql                   Also print the statements, in the order they run.
  --json                  Print JSON instead of text.
  -h, --help              This help.`;
const APPLY_HELP = `  --allow-destructive     Apply drops of tables, columns and unique indexes (without it
                          they are listed as skipped and the rest is applied).
  --dry-run               Plan and print, apply nothing.
  --unconvertible <how>   Values a type change cannot convert: abort (default: nothing is
                          applied), null (stored as NULL), keep (kept as they are).`;

const COMMANDS = {
  diff: {
    flags: { url: { type: 'string' }, 'auth-token': { type: 'string' }, ...PLAN_FLAGS },
    help: `Usage: objectql-turso diff --url <url> --objects <file> [options]

Prints the plan that would bring the database at <url> to the object definitions: one
line per change, what destructive changes would destroy, the type conversions (with the
rows that could not convert), what apply would skip (drops without --allow-destructive),
and why applying it as is would be refused. Changes nothing.

Options:
  --url <url>             The database: file:path, libsql://..., http(s)://... Required.
  --auth-token <token>    Token for a remote database (default: $TURSO_AUTH_TOKEN).
${PLAN_HELP}

Exit codes:
  0  up to date
  1  failure: the database could not be opened or read, or the driver refused the definitions
  2  usage error (see objectql-turso --help)
  3  changes are pending
`,
    run: diffCommand,
  },
  apply: {
    flags: { url: { type: 'string' }, 'auth-token': { type: 'string' }, ...PLAN_FLAGS, ...APPLY_FLAGS },
    help: `Usage: objectql-turso apply --url <url> --objects <file> [options]

Plans as diff does, prints the plan, and applies it in one transaction: all of it or
nothing. Drops (tables, columns, unique indexes) are skipped unless --allow-destructive
is given; a plan that would lose data otherwise (values a type change cannot convert,
NULLs in a column becoming NOT NULL) is refused, and nothing is applied.

Options:
  --url <url>             The database: file:path, libsql://..., http(s)://... Required.
  --auth-token <token>    Token for a remote database (default: $TURSO_AUTH_TOKEN).
${APPLY_HELP}
${PLAN_HELP}

${EXIT_CODES.replace(/\n {2}3 .*$/, '')}
`,
    run: applyCommand,
  },
  'migrate-tenants': {
    flags: {
      'url-template': { type: 'string' },
      tenants: { type: 'string' },
      'auth-token': { type: 'string' },
      concurrency: { type: 'string' },
      ...PLAN_FLAGS,
      ...APPLY_FLAGS,
    },
    help: `Usage: objectql-turso migrate-tenants --url-template <template> --tenants <list> --objects <file> [options]

Brings every tenant database to the object definitions: each is opened, planned, applied
in its own transaction and closed. A tenant that fails is reported and the run goes on;
running it again resumes (migrated tenants are up to date). A file: database that does
not exist is reported as failed, not created.

Options:
  --url-template <t>      Where each tenant's database is; {tenant} is replaced by the id,
                          e.g. 'file:./tenants/{tenant}.db'. Required. Tenant ids must be
                          2-64 letters, digits, - or _, beginning and ending with a letter
                          or digit; a list with any other id migrates nothing.
  --tenants <list>        A file (one id per line, # comments; or a JSON array of ids), or
                          ids separated by commas (a,b,c). Required.
  --auth-token <token>    Every tenant's token, e.g. a group token (default: $TURSO_AUTH_TOKEN).
  --concurrency <n>       Tenants migrated at once (default 1).
${APPLY_HELP}
${PLAN_HELP}

Progress goes to stderr (a bar on a terminal, one line per tenant otherwise); the summary
to stdout.

${EXIT_CODES.replace(/\n {2}3 .*$/, '')}
`,
    run: migrateTenantsCommand,
  },
};

class UsageError extends Error {}

const out = (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const err = (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

// ---------------------------------------------------------------------------------------
// Arguments

function required(values, name) {
  const value = values[name];
  if (value === undefined || value === '') throw new UsageError(`--${name} is required.`);
  return value;
}

/** The options planMigration and applyMigrationPlan take, from the flags. */
function migrationOptions(values) {
  const options = {};
  if (values.protect !== undefined) {
    options.protectedTables = values.protect
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  }
  if (values['allow-destructive']) options.allowDestructive = true;
  if (values.unconvertible !== undefined) {
    if (!['abort', 'null', 'keep'].includes(values.unconvertible)) {
      throw new UsageError(`--unconvertible must be abort, null or keep; got '${values.unconvertible}'.`);
    }
    options.unconvertible = values.unconvertible;
  }
  if (values.scope !== undefined) {
    if (!['database', 'objects'].includes(values.scope)) {
      throw new UsageError(`--scope must be database or objects; got '${values.scope}'.`);
    }
    options.scope = values.scope;
  }
  return options;
}

function authToken(values) {
  return values['auth-token'] ?? (process.env.TURSO_AUTH_TOKEN || undefined);
}

/** The driver options of a url: a token only where one is sent (not to a local file). */
function driverOptions(url, values) {
  const token = authToken(values);
  return token !== undefined && !url.startsWith('file:') && url !== ':memory:' ? { authToken: token } : {};
}

async function loadObjects(file) {
  const full = path.resolve(file);
  if (!fs.existsSync(full)) throw new UsageError(`--objects: no file at ${file}.`);
  const ext = path.extname(full).toLowerCase();
  let value;
  if (ext === '.json') {
    try {
      value = JSON.parse(fs.readFileSync(full, 'utf8'));
    } catch (e) {
      throw new UsageError(`--objects: ${file} is not valid JSON: ${e.message}`);
    }
  } else if (['.js', '.cjs', '.mjs'].includes(ext)) {
    let mod;
    try {
      mod = await import(pathToFileURL(full).href);
    } catch (e) {
      throw new UsageError(`--objects: ${file} could not be loaded: ${e.message}`);
    }
    value = exportedObjects(mod, file);
  } else {
    throw new UsageError(`--objects must be a .json, .js, .cjs or .mjs file; got ${file}.`);
  }
  try {
    return normalizeObjects(value, file);
  } catch (e) {
    throw new UsageError(`--objects: ${e.message}`);
  }
}

/** A module's definitions: its `objects` export, or its default export (or that's `objects`). */
function exportedObjects(mod, file) {
  if (Array.isArray(mod.objects)) return mod.objects;
  const fallback = mod.default;
  if (fallback !== null && typeof fallback === 'object' && Array.isArray(fallback.objects)) {
    return fallback.objects;
  }
  if (fallback !== undefined) return fallback;
  throw new UsageError(
    `--objects: ${file} exports neither a default nor "objects"; export the array of object definitions.`,
  );
}

/** `--tenants`: a file of ids (lines, or a JSON array), or ids separated by commas. */
function readTenants(arg) {
  const isFile = fs.existsSync(arg) && fs.statSync(arg).isFile();
  if (!isFile) {
    // An id never holds '.', '/' or '\': this names a file that is not there.
    if (/[./\\]/.test(arg)) throw new UsageError(`--tenants: no file at ${arg}.`);
    return arg
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  }
  const text = fs.readFileSync(arg, 'utf8');
  if (text.trimStart().startsWith('[')) {
    let list;
    try {
      list = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--tenants: ${arg} is not valid JSON: ${e.message}`);
    }
    if (!Array.isArray(list) || !list.every((t) => typeof t === 'string')) {
      throw new UsageError(`--tenants: ${arg} must be a JSON array of tenant id strings.`);
    }
    return list.map((t) => t.trim()).filter(Boolean);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

// ---------------------------------------------------------------------------------------
// Output

const plural = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;

function formatDuration(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The plan as a person reads it. */
function printPlan(plan, { sql }) {
  for (const line of plan.summary) out(line);
  if (plan.destructive.length > 0) {
    out('\nDestructive:');
    for (const line of plan.destructive) out(`  - ${line}`);
  }
  if (plan.conversions.length > 0) {
    out('\nType conversions:');
    for (const c of plan.conversions) {
      const counts = [];
      if (c.rows !== undefined) counts.push(plural(c.rows, 'row'));
      if (c.unconvertible > 0) counts.push(`${c.unconvertible} cannot convert`);
      out(`  - ${c.table}.${c.column}: ${c.from} → ${c.to}${counts.length ? ` (${counts.join(', ')})` : ''}`);
    }
  }
  if (plan.skipped.length > 0) {
    out('\nSkipped (not applied):');
    for (const line of plan.skipped) out(`  - ${line}`);
  }
  if (sql && plan.statements.length > 0) {
    out('\nStatements (one transaction):');
    for (const statement of plan.statements) out(`  ${statement.replace(/;?$/, ';')}`);
  }
  if (plan.blocked.length > 0) {
    out('\nRefused as is:');
    for (const line of plan.blocked) out(`  - ${line}`);
  }
}

function printError(error) {
  const code = error && error.code ? `[${error.code}] ` : '';
  err(`error: ${code}${error && error.message ? error.message : String(error)}`);
}

// ---------------------------------------------------------------------------------------
// Commands

/** Runs `fn` with a connected driver for `--url`, disconnected afterwards. */
async function withDriver(values, fn) {
  const url = required(values, 'url');
  const driver = new TursoDriver({ url, ...driverOptions(url, values) });
  try {
    await driver.connect();
    return await fn(driver);
  } finally {
    await driver.disconnect().catch(() => {});
  }
}

async function diffCommand(values) {
  required(values, 'url');
  const objects = await loadObjects(required(values, 'objects'));
  const options = migrationOptions(values);
  return withDriver(values, async (driver) => {
    const plan = await driver.planMigration(objects, options);
    if (values.json) out(JSON.stringify(plan, null, 2));
    else printPlan(plan, values);
    return plan.actions.length === 0 ? EXIT.ok : EXIT.pending;
  });
}

async function applyCommand(values) {
  required(values, 'url');
  const objects = await loadObjects(required(values, 'objects'));
  const options = migrationOptions(values);
  const dryRun = values['dry-run'] === true;
  return withDriver(values, async (driver) => {
    const plan = await driver.planMigration(objects, options);
    if (!values.json) printPlan(plan, values);
    const nothingToRun = plan.statements.length === 0 && plan.blocked.length === 0;
    if (nothingToRun || dryRun) {
      if (values.json) out(JSON.stringify({ plan, result: null }, null, 2));
      else if (dryRun && plan.actions.length > 0) out('\nDry run: nothing was applied.');
      else if (plan.actions.length > 0) out('\nNothing to apply: every change was skipped.');
      return dryRun && plan.blocked.length > 0 ? EXIT.failed : EXIT.ok;
    }
    let result;
    try {
      result = await driver.applyMigrationPlan(plan);
    } catch (error) {
      if (values.json) out(JSON.stringify({ plan, result: null, error: errorJson(error) }, null, 2));
      else out('\nNothing was applied.');
      throw error;
    }
    if (values.json) out(JSON.stringify({ plan, result }, null, 2));
    else out(`\nApplied ${plural(result.applied, 'statement')} in ${formatDuration(result.duration)}.`);
    return EXIT.ok;
  });
}

function errorJson(error) {
  return { code: error.code, message: error.message };
}

async function migrateTenantsCommand(values) {
  const urlTemplate = required(values, 'url-template');
  const tenants = readTenants(required(values, 'tenants'));
  if (tenants.length === 0) throw new UsageError('--tenants names no tenant.');
  const objects = await loadObjects(required(values, 'objects'));
  let concurrency = 1;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!/^\d+$/.test(values.concurrency) || concurrency < 1) {
      throw new UsageError(`--concurrency must be a whole number >= 1; got '${values.concurrency}'.`);
    }
  }
  const dryRun = values['dry-run'] === true;
  const progress = process.stderr.isTTY ? progressBar() : progressLines();
  const options = {
    objects,
    tenants,
    urlTemplate,
    driverOptions: driverOptions(urlTemplate, values),
    ...migrationOptions(values),
    dryRun,
    concurrency,
    onProgress: progress.update,
  };
  let result;
  try {
    result = await migrateTenants(options);
  } catch (e) {
    // migrateTenants rejects only for options it refuses before opening any tenant.
    throw new UsageError(`[${e.code}] ${e.message}`);
  } finally {
    progress.end();
  }
  if (values.json) out(JSON.stringify(result, null, 2));
  else printFleet(result, dryRun);
  const refused = result.tenants.some((t) => t.blocked !== undefined);
  return result.failed > 0 || refused ? EXIT.failed : EXIT.ok;
}

function tenantLine(t) {
  switch (t.status) {
    case 'failed':
      return `${t.tenant}: failed [${t.code}] ${t.error}`;
    case 'migrated':
      return `${t.tenant}: migrated (${plural(t.statements, 'statement')})`;
    case 'planned':
      return t.blocked
        ? `${t.tenant}: would be refused: ${t.blocked.join('; ')}`
        : `${t.tenant}: would run ${plural(t.statements, 'statement')}`;
    default:
      return t.skipped
        ? `${t.tenant}: up to date, ${plural(t.skipped.length, 'change')} skipped`
        : `${t.tenant}: up to date`;
  }
}

/** One line per finished tenant on stderr (logs, pipes). */
function progressLines() {
  return {
    update(event) {
      if (event.type === 'tenant') err(`[${event.done}/${event.total}] ${tenantLine(event.result)}`);
    },
    end() {},
  };
}

/** A bar on the terminal's stderr; failures are printed above it as they happen. */
function progressBar() {
  const WIDTH = 30;
  let failed = 0;
  let last = '';
  const draw = (done, total, tenant) => {
    const filled = total === 0 ? WIDTH : Math.round((done / total) * WIDTH);
    const failures = failed > 0 ? `, ${failed} failed` : '';
    last = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total}${failures} ${tenant}`;
    // One row, or \r would not take it back to its start.
    const columns = process.stderr.columns;
    if (columns > 1 && last.length >= columns) last = last.slice(0, columns - 1);
    process.stderr.write(`\r\x1b[2K${last}`);
  };
  return {
    update(event) {
      if (event.type === 'tenant' && event.result.status === 'failed') {
        failed++;
        process.stderr.write(`\r\x1b[2K${tenantLine(event.result)}\n`);
      }
      draw(event.done, event.total, event.tenant);
    },
    end() {
      if (last !== '') process.stderr.write('\r\x1b[2K');
    },
  };
}

function printFleet(result, dryRun) {
  const counts = [
    [result.migrated, 'migrated'],
    [result.planned, 'would be migrated'],
    [result.upToDate, 'up to date'],
    [result.failed, 'failed'],
  ]
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(', ');
  const run = dryRun ? ' (dry run: nothing was applied)' : '';
  out(
    `${plural(result.total, 'tenant')} in ${formatDuration(result.duration)}${run}: ${counts || 'nothing to do'}.`,
  );

  if (dryRun) {
    // Tenants with the same plan are listed under it once.
    const plans = new Map();
    for (const t of result.tenants.filter((t) => t.status === 'planned')) {
      const key = [...t.summary, ...(t.blocked ?? []).map((b) => `refused as is: ${b}`)].join('\n');
      if (!plans.has(key)) plans.set(key, []);
      plans.get(key).push(t.tenant);
    }
    for (const [lines, tenants] of plans) {
      out(`\nPlanned for ${tenants.join(', ')}:`);
      for (const line of lines.split('\n')) out(`  ${line}`);
    }
  }
  // Tenants with the same skips are listed under them once.
  const skips = new Map();
  for (const t of result.tenants.filter((t) => t.skipped !== undefined)) {
    const key = t.skipped.join('\n');
    if (!skips.has(key)) skips.set(key, []);
    skips.get(key).push(t.tenant);
  }
  for (const [lines, tenants] of skips) {
    out(`\nSkipped (not applied) for ${tenants.join(', ')}:`);
    for (const line of lines.split('\n')) out(`  ${line}`);
  }
  const failed = result.tenants.filter((t) => t.status === 'failed');
  if (failed.length > 0) {
    out('\nFailed (nothing was applied to them; fix and run again to resume):');
    for (const t of failed) out(`  - ${t.tenant}: [${t.code}] ${t.error}`);
  }
}

// ---------------------------------------------------------------------------------------
// Dispatch

async function main(argv) {
  const [name, ...args] = argv;
  if (name === undefined) {
    err(TOOL_HELP);
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = COMMANDS[args[0]];
    out(topic ? topic.help : TOOL_HELP);
    return EXIT.ok;
  }
  if (name === '--version') {
    out(version);
    return EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (command === undefined) {
      throw new UsageError(
        `unknown command '${name}'; the commands are ${Object.keys(COMMANDS).join(', ')}.`,
      );
    }
    let values;
    try {
      ({ values } = parseArgs({ args, options: command.flags, strict: true, allowPositionals: false }));
    } catch (e) {
      throw new UsageError(parseError(e));
    }
    if (values.help) {
      out(command.help);
      return EXIT.ok;
    }
    return await command.run(values);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`objectql-turso: ${error.message}`);
      err(`Run 'objectql-turso ${command ? `${name} ` : ''}--help' for usage.`);
      return EXIT.usage;
    }
    printError(error);
    return EXIT.failed;
  }
}

/** parseArgs' refusals, in a line each. */
function parseError(e) {
  const flag = /'(-[^']*)'/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${flag ?? e.message}.`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument: ${e.message.replace(/^Unexpected argument '([^']*)'.*$/s, '$1')}.`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return e.message.split('\n')[0];
    default:
      return e.message;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    printError(error);
    process.exitCode = EXIT.failed;
  },
);
