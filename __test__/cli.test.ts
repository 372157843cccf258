// The objectql-turso CLI as a script runs it: a child process of this Node, real database
// files in a temp dir, its output and its exit code.

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { TursoDriver, type MigrateTenantsResult, type MigrationPlan } from '..';
import {
  V1,
  V2,
  V3,
  V1_ESTIMATE_INTEGER,
  fingerprintOf,
  makeBrokenTenant,
  makeTenant,
  tablesOf,
  tenantIds,
} from './support/tenants';
import { useSandbox } from './util';

const BIN = path.join(__dirname, '..', 'bin', 'objectql-turso.js');

const sandbox = useSandbox();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in the sandbox's dir (asynchronously: the test's event loop keeps running). */
function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: sandbox.dir(),
      env: { ...process.env, TURSO_AUTH_TOKEN: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Writes `value` as JSON into the sandbox; its path. */
function json(name: string, value: unknown): string {
  const file = path.join(sandbox.dir(), name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

/** A database at V1 and the objects files of V1, V2 and V3 in the sandbox. */
async function database(): Promise<{ file: string; url: string }> {
  json('v1.json', V1);
  json('v2.json', V2);
  json('v3.json', V3);
  const file = await makeTenant(sandbox.dir(), 'app');
  return { file, url: `file:${file}` };
}

describe('given diff', () => {
  it('should print the plan and exit 3 when changes are pending, 0 when up to date', async () => {
    const { url, file } = await database();
    const before = await fingerprintOf(file);

    const pending = await cli('diff', '--url', url, '--objects', 'v2.json');
    expect(pending.stderr).toBe('');
    expect(pending.code).toBe(3);
    expect(pending.stdout).toMatch(/priority/);
    expect(pending.stdout).toMatch(/notes/);
    expect(await fingerprintOf(file)).toBe(before);

    const same = await cli('diff', '--url', url, '--objects', 'v1.json');
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/up to date/);
  });

  it('should print what a destructive change would destroy, and that it would be skipped', async () => {
    const { url } = await database();
    await cli('apply', '--url', url, '--objects', 'v2.json');
    const run = await cli('diff', '--url', url, '--objects', 'v3.json');
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/Destructive:\n {2}- .*legacy.*1 row\b/);
    expect(run.stdout).toMatch(/Skipped \(not applied\):\n {2}- DROP TABLE "legacy"/);

    const scoped = await cli('diff', '--url', url, '--objects', 'v3.json', '--scope', 'objects');
    expect(scoped.code).toBe(0);
  });

  it('should print the type conversions, with the rows that cannot convert', async () => {
    json('estimate.json', V1_ESTIMATE_INTEGER);
    const file = await makeTenant(sandbox.dir(), 'app', { estimate: 'about a week' });
    const run = await cli('diff', '--url', `file:${file}`, '--objects', 'estimate.json');
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(
      /Type conversions:\n {2}- tasks\.estimate: TEXT → INTEGER \(1 row, 1 cannot convert\)/,
    );
    expect(run.stdout).toMatch(/Refused as is:\n {2}- .*estimate/);
  });

  it('should print the plan object with --json, and the statements with --sql', async () => {
    const { url, file } = await database();
    const run = await cli('diff', '--url', url, '--objects', 'v2.json', '--json');
    expect(run.code).toBe(3);
    const plan = JSON.parse(run.stdout) as MigrationPlan;
    expect(plan.fingerprint).toBe(await fingerprintOf(file));
    expect(plan.actions.length).toBeGreaterThan(0);
    expect(plan.blocked).toEqual([]);

    const sql = await cli('diff', '--url', url, '--objects', 'v2.json', '--sql');
    expect(sql.stdout).toMatch(/Statements \(one transaction\):\n {2}(CREATE|ALTER)/);
  });

  it('should read the objects from a CommonJS module, an ES module and a map', async () => {
    const { url } = await database();
    const dir = sandbox.dir();
    fs.writeFileSync(path.join(dir, 'objects.js'), `module.exports = ${JSON.stringify(V1)};`);
    fs.writeFileSync(path.join(dir, 'named.cjs'), `exports.objects = ${JSON.stringify(V1)};`);
    fs.writeFileSync(path.join(dir, 'objects.mjs'), `export default ${JSON.stringify(V1)};`);
    fs.writeFileSync(path.join(dir, 'named.mjs'), `export const objects = ${JSON.stringify(V1)};`);
    json('map.json', Object.fromEntries(V1.map(({ name, ...def }) => [name, def])));
    for (const objects of ['objects.js', 'named.cjs', 'objects.mjs', 'named.mjs', 'map.json']) {
      const run = await cli('diff', '--url', url, '--objects', objects);
      expect({ objects, code: run.code, stderr: run.stderr }).toEqual({ objects, code: 0, stderr: '' });
    }
  });
});

describe('given apply', () => {
  it('should apply an additive plan, after which diff finds the database up to date', async () => {
    const { url, file } = await database();
    const run = await cli('apply', '--url', url, '--objects', 'v2.json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Applied \d+ statements? in/);
    expect((await tablesOf(file)).notes).toBeDefined();

    expect((await cli('diff', '--url', url, '--objects', 'v2.json')).code).toBe(0);
    const again = await cli('apply', '--url', url, '--objects', 'v2.json');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/up to date/);
  });

  it('should skip a destructive change (listed, exit 0) unless --allow-destructive', async () => {
    const { url, file } = await database();
    await cli('apply', '--url', url, '--objects', 'v2.json');

    const skipped = await cli('apply', '--url', url, '--objects', 'v3.json');
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/Skipped \(not applied\):\n {2}- DROP TABLE "legacy"/);
    expect(skipped.stdout).toMatch(/Nothing to apply/);
    expect((await tablesOf(file)).legacy).toBeDefined();
    expect((await cli('diff', '--url', url, '--objects', 'v3.json')).code).toBe(3);

    const allowed = await cli('apply', '--url', url, '--objects', 'v3.json', '--allow-destructive');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/Applied 1 statement in/);
    expect((await tablesOf(file)).legacy).toBeUndefined();
    expect((await cli('diff', '--url', url, '--objects', 'v3.json')).code).toBe(0);
  });

  it('should change nothing with --dry-run (exit 1 when the plan would be refused)', async () => {
    const { url, file } = await database();
    const before = await fingerprintOf(file);

    const dry = await cli('apply', '--url', url, '--objects', 'v2.json', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/priority/);
    expect(dry.stdout).toMatch(/Dry run: nothing was applied/);
    expect(await fingerprintOf(file)).toBe(before);

    json('estimate.json', V1_ESTIMATE_INTEGER);
    await cli('apply', '--url', url, '--objects', 'v1.json');
    const admin = new TursoDriver({ url });
    await admin.connect();
    await admin.update('tasks', 'app-task', { estimate: 'about a week' });
    await admin.disconnect();
    const refused = await cli('apply', '--url', url, '--objects', 'estimate.json', '--dry-run', '--json');
    expect(refused.code).toBe(1);
    const out = JSON.parse(refused.stdout);
    expect(out).toMatchObject({ result: null });
    expect(out.plan.blocked.join('\n')).toMatch(/estimate/);
    expect(await fingerprintOf(file)).toBe(before);
  });

  it('should print the plan and the result with --json', async () => {
    const { url, file } = await database();
    const run = await cli('apply', '--url', url, '--objects', 'v2.json', '--json');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.result.applied).toBe(out.plan.statements.length);
    expect(out.result.fingerprint).toBe(await fingerprintOf(file));
  });

  it('should store unconvertible values as NULL with --unconvertible null', async () => {
    json('estimate.json', V1_ESTIMATE_INTEGER);
    const file = await makeTenant(sandbox.dir(), 'app', { estimate: 'about a week' });
    const url = `file:${file}`;
    const aborted = await cli('apply', '--url', url, '--objects', 'estimate.json');
    expect(aborted.code).toBe(1);
    expect(aborted.stderr).toMatch(/^error: \[MIGRATION_REFUSED\] .*estimate/);
    expect(aborted.stdout).toMatch(/Nothing was applied/);
    const nulled = await cli('apply', '--url', url, '--objects', 'estimate.json', '--unconvertible', 'null');
    expect(nulled.stderr).toBe('');
    expect(nulled.code).toBe(0);
  });
});

describe('given migrate-tenants over ten tenant files, one of them broken', () => {
  const TENANTS = tenantIds(10);
  const BROKEN = 'tenant-04';

  async function fleet(): Promise<string> {
    const dir = path.join(sandbox.dir(), 'tenants');
    fs.mkdirSync(dir);
    for (const tenant of TENANTS) {
      if (tenant === BROKEN) makeBrokenTenant(dir, tenant);
      else await makeTenant(dir, tenant);
    }
    json('v2.json', V2);
    fs.writeFileSync(path.join(sandbox.dir(), 'tenants.txt'), `# the fleet\n${TENANTS.join('\n')}\n\n`);
    return dir;
  }

  const migrate = (...flags: string[]) =>
    cli(
      'migrate-tenants',
      '--url-template',
      'file:./tenants/{tenant}.db',
      '--tenants',
      'tenants.txt',
      '--objects',
      'v2.json',
      ...flags,
    );

  it('should migrate the others, exit 1 and name the broken one', async () => {
    const dir = await fleet();
    const run = await migrate();

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^10 tenants in .*: 9 migrated, 1 failed\./);
    expect(run.stdout).toMatch(new RegExp(`Failed .*\\n {2}- ${BROKEN}: \\[[A-Z_]+\\] `));
    // One progress line per tenant on stderr (not a terminal).
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^\[1\/10\] tenant-01: migrated \(\d+ statements?\)$/);
    expect(lines.find((l) => l.includes(BROKEN))).toMatch(/failed \[/);
    expect((await tablesOf(path.join(dir, 'tenant-10.db'))).notes).toBeDefined();
  });

  it('should find the migrated tenants up to date when run again', async () => {
    await fleet();
    await migrate();
    const run = await migrate('--json', '--concurrency', '3');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as MigrateTenantsResult;
    expect(result).toMatchObject({ total: 10, migrated: 0, upToDate: 9, failed: 1 });
    expect(result.tenants.find((t) => t.status === 'failed')!.tenant).toBe(BROKEN);
  });

  it('should exit 0 when every tenant migrates, ids given on the command line', async () => {
    await fleet();
    const ok = TENANTS.filter((t) => t !== BROKEN);
    const run = await cli(
      'migrate-tenants',
      '--url-template',
      'file:./tenants/{tenant}.db',
      '--tenants',
      ok.join(','),
      '--objects',
      'v2.json',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^9 tenants in .*: 9 migrated\./);
  });

  it('should plan and change nothing with --dry-run', async () => {
    const dir = await fleet();
    const before = await fingerprintOf(path.join(dir, 'tenant-01.db'));
    const run = await migrate('--dry-run');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/dry run: nothing was applied\): 9 would be migrated, 1 failed/);
    expect(run.stdout).toMatch(/Planned for tenant-01, tenant-02, tenant-03, tenant-05, .*tenant-10:\n/);
    expect(await fingerprintOf(path.join(dir, 'tenant-01.db'))).toBe(before);
  });

  it('should refuse (exit 2) a tenant id that could leave the directory, migrating none', async () => {
    const dir = await fleet();
    const before = await fingerprintOf(path.join(dir, 'tenant-01.db'));
    json('bad.json', ['tenant-01', '../tenant-02']);
    const run = await cli(
      'migrate-tenants',
      '--url-template',
      'file:./tenants/{tenant}.db',
      '--tenants',
      'bad.json',
      '--objects',
      'v2.json',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/INVALID_REQUEST.*nothing was migrated/);
    expect(await fingerprintOf(path.join(dir, 'tenant-01.db'))).toBe(before);
  });
});

describe('given a wrong command line', () => {
  beforeEach(() => {
    json('v1.json', V1);
  });

  it.each([
    [[]],
    [['frobnicate']],
    [['diff', '--url', 'file:x.db', '--objects', 'v1.json', '--bogus']],
    [['diff', '--objects', 'v1.json']],
    [['diff', '--url', 'file:x.db']],
    [['diff', '--url', 'file:x.db', '--objects', 'missing.json']],
    [['diff', '--url', 'file:x.db', '--objects', 'v1.json', 'extra']],
    [['diff', '--url', 'file:x.db', '--objects', 'v1.json', '--allow-destructive']],
    [['apply', '--url', 'file:x.db', '--objects', 'v1.json', '--unconvertible', 'drop']],
    [['diff', '--url', 'file:x.db', '--objects', 'v1.json', '--scope', 'all']],
    [['apply', '--url', 'file:x.db', '--objects', 'v1.txt']],
    [['migrate-tenants', '--tenants', 'a1', '--objects', 'v1.json']],
    [
      [
        'migrate-tenants',
        '--url-template',
        'file:{tenant}.db',
        '--tenants',
        'a1,b2',
        '--objects',
        'v1.json',
        '--concurrency',
        'two',
      ],
    ],
    [
      [
        'migrate-tenants',
        '--url-template',
        'file:{tenant}.db',
        '--tenants',
        'list.txt',
        '--objects',
        'v1.json',
      ],
    ],
    [['migrate-tenants', '--url-template', 'file:x.db', '--tenants', 'a1', '--objects', 'v1.json']],
  ])('should exit 2 with a usage message: %j', async (args) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toBe('');
    expect(fs.existsSync(path.join(sandbox.dir(), 'x.db'))).toBe(false);
  });

  it('should exit 2 for objects files that are not definitions', async () => {
    json('empty.json', []);
    json('not-defs.json', [{ fields: {} }]);
    fs.writeFileSync(path.join(sandbox.dir(), 'broken.json'), '[{');
    for (const file of ['empty.json', 'not-defs.json', 'broken.json']) {
      const run = await cli('diff', '--url', 'file:x.db', '--objects', file);
      expect({ file, code: run.code }).toEqual({ file, code: 2 });
      expect(run.stderr).toMatch(/--objects/);
    }
  });
});

describe('given --help', () => {
  it('should describe the tool, its commands and exit codes', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const run = await cli(...args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/diff/);
      expect(run.stdout).toMatch(/migrate-tenants/);
      expect(run.stdout).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 [^]*\n {2}3 /);
    }
  });

  it.each([['diff'], ['apply'], ['migrate-tenants']])('should describe %s and its flags', async (name) => {
    for (const flag of ['--help', '-h']) {
      const run = await cli(name, flag);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: objectql-turso ${name} `));
      expect(run.stdout).toMatch(/--objects/);
      expect(run.stdout).toMatch(/Exit codes:/);
    }
    expect((await cli('help', name)).stdout).toMatch(new RegExp(`^Usage: objectql-turso ${name} `));
  });
});
