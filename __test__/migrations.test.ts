// Safe migrations through the package's API, on real files: planMigration's actions and
// counts, applyMigrationPlan and executeMigrations (all or nothing), drift, the plugin's
// `autoMigrate` on start, and the kernel's syncSchema of a changed object.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { executeMigrations, TursoDriver, TursoDriverPlugin } from '..';
import { kernelNodes, useKernels, type KernelSetup } from './support/kernel';

let dir: string;
const drivers: TursoDriver[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
});
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.disconnect()));
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(name = 't.db', config: Record<string, unknown> = {}): TursoDriver {
  const driver = new TursoDriver({ url: `file:${path.join(dir, name)}`, ...config });
  drivers.push(driver);
  return driver;
}

const v1: any[] = [
  { name: 'task', fields: { title: { type: 'text' }, priority: { type: 'text' }, legacy: { type: 'text' } } },
];
const v2: any[] = [
  {
    name: 'task',
    fields: {
      title: { type: 'text', unique: 'global' },
      priority: { type: 'integer' },
      status: { type: 'text', defaultValue: "it's new" },
    },
  },
  { name: 'tag', fields: { label: { type: 'text' } } },
];

async function rows(driver: TursoDriver, sql: string): Promise<any[]> {
  return (await driver.execute(sql)).rows as any[];
}

describe('planMigration and applyMigrationPlan', () => {
  it('should plan every change with counts a person can act on, then apply it all in one transaction', async () => {
    const driver = open();
    await driver.init(v1);
    await driver.bulkCreate('task', [
      { id: 'a', title: 'one', priority: '1', legacy: 'x' },
      { id: 'b', title: 'two', priority: 'high', legacy: null },
    ]);
    const plan = await driver.planMigration(v2, { allowDestructive: true });
    expect(plan.actions.map((a: any) => a.type)).toEqual([
      'change_column_type',
      'add_column',
      'drop_column',
      'create_index',
      'create_table',
    ]);
    expect(plan.summary).toEqual([
      'task.priority: TEXT → INTEGER, 2 rows, 1 value will not convert',
      'ADD COLUMN "task"."status" TEXT',
      'task.legacy: DROP COLUMN, 1 value lost',
      'CREATE UNIQUE INDEX "uniq_task_title" ON "task"',
      'CREATE TABLE "tag" (2 columns)',
    ]);
    expect(plan.conversions).toEqual([
      { table: 'task', column: 'priority', from: 'TEXT', to: 'INTEGER', rows: 2, unconvertible: 1 },
    ]);
    expect(plan.destructive).toEqual(['task.legacy: DROP COLUMN, 1 value lost']);
    expect(plan.blocked).toHaveLength(1);
    expect(plan.fingerprint).toMatch(/^[0-9a-f]{64}$/);

    const before = await driver.schemaFingerprint();
    await expect(driver.applyMigrationPlan(plan)).rejects.toMatchObject({ code: 'MIGRATION_REFUSED' });
    expect(await driver.schemaFingerprint()).toBe(before);

    const chosen = await driver.planMigration(v2, { allowDestructive: true, unconvertible: 'keep' });
    expect(chosen.blocked).toEqual([]);
    const done = await driver.applyMigrationPlan(chosen);
    expect(done.applied).toBe(chosen.statements.length);
    expect(done.logs).toHaveLength(chosen.statements.length);
    expect(typeof done.duration).toBe('number');
    expect(done.fingerprint).toBe(await driver.schemaFingerprint());

    expect(await rows(driver, 'SELECT id, priority, typeof(priority) AS t FROM task ORDER BY id')).toEqual([
      { id: 'a', priority: 1, t: 'integer' },
      { id: 'b', priority: 'high', t: 'text' },
    ]);
    await driver.execute(`INSERT INTO task (id, title) VALUES ('c', 'three')`);
    expect((await rows(driver, `SELECT status FROM task WHERE id = 'c'`))[0].status).toBe("it's new");
    await expect(driver.execute(`INSERT INTO task (id, title) VALUES ('d', 'one')`)).rejects.toBeDefined();
    expect((await driver.planMigration(v2)).actions).toEqual([]);
  });

  it('should refuse a plan once the schema changed since it was made, and apply nothing', async () => {
    const driver = open();
    await driver.init(v1);
    const plan = await driver.planMigration(v2);
    await driver.execute('CREATE TABLE someone_elses (id TEXT)');
    await expect(driver.applyMigrationPlan(plan)).rejects.toMatchObject({ code: 'SCHEMA_DRIFT' });
    expect((await driver.introspectSchema()).tables.tag).toBeUndefined();
  });

  it('should never touch protected or SQLite tables, and drop others only when asked', async () => {
    const driver = open();
    await driver.execute('CREATE TABLE sys_audit (id TEXT PRIMARY KEY)');
    await driver.execute('CREATE TABLE counter (id INTEGER PRIMARY KEY AUTOINCREMENT)');
    await driver.execute('INSERT INTO counter DEFAULT VALUES');
    await driver.execute('CREATE TABLE legacy (id TEXT)');
    const plan = await driver.planMigration([], { protectedTables: ['sys_', 'counter'] });
    expect(plan.summary).toEqual(['DROP TABLE "legacy"']);
    expect(plan.statements).toEqual([]);
    expect(plan.skipped).toEqual(['DROP TABLE "legacy": destructive, applied only with allowDestructive']);
    const dropping = await driver.planMigration([], {
      protectedTables: ['sys_', 'counter'],
      allowDestructive: true,
    });
    await driver.applyMigrationPlan(dropping);
    const names = (
      await rows(driver, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ).map((r) => r.name);
    expect(names).toEqual(['counter', 'sqlite_sequence', 'sys_audit']);
  });

  it('should refuse bad options and plans with a code', async () => {
    const driver = open();
    await expect(driver.planMigration(v1, { unconvertible: 'drop' } as never)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    await expect(driver.planMigration(v1, { protectedTables: 'sys_' } as never)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    await expect(driver.applyMigrationPlan({} as never)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(driver.planMigration([{ name: 'sqlite_x' }])).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });
});

describe('executeMigrations', () => {
  it('should apply every statement or none, naming the one that failed and its position', async () => {
    const driver = open();
    await driver.init(v1);
    await driver.create('task', { id: 'a', title: 'keep' });
    const failing = [
      'ALTER TABLE task ADD COLUMN extra TEXT',
      `UPDATE task SET title = 'lost'`,
      'INSERT INTO nowhere VALUES (1)',
    ];
    const err = await executeMigrations(driver, failing).catch((e: any) => e);
    expect(err.code).toBe('QUERY_ERROR');
    expect(err.message).toContain('statement 3 of 3');
    expect(err.message).toContain('INSERT INTO nowhere');
    expect((await driver.findOne('task', 'a'))?.title).toBe('keep');
    expect((await driver.introspectSchema()).tables.task.columns.map((c: any) => c.name)).not.toContain(
      'extra',
    );

    const done = await executeMigrations(driver, failing.slice(0, 2));
    expect(done).toMatchObject({ applied: 2 });
    expect(done.logs[1]).toMatch(/^\[2\/2\] UPDATE task SET title = 'lost' \(\d+\.\d ms\)$/);
    await expect(executeMigrations(driver, 'DROP TABLE task' as never)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    await expect(executeMigrations({} as never, [])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('TursoDriverPlugin autoMigrate', () => {
  it('should migrate a database made by an older definition on start, keeping its rows', async () => {
    const url = `file:${path.join(dir, 'app.db')}`;
    const old = open('app.db');
    await old.init(v1);
    await old.bulkCreate('task', [
      { id: 'a', title: 'one', priority: '3' },
      { id: 'b', title: 'two', priority: '5' },
    ]);
    await old.disconnect();

    const plugin = new TursoDriverPlugin({ connection: { url }, autoMigrate: true, objects: v2 } as never);
    plugin.install({});
    await plugin.onStart({});
    try {
      const driver = plugin.getDriver();
      expect(await rows(driver, 'SELECT id, priority, typeof(priority) AS t FROM task ORDER BY id')).toEqual([
        { id: 'a', priority: 3, t: 'integer' },
        { id: 'b', priority: 5, t: 'integer' },
      ]);
      // Destructive changes wait for a deliberate migration: the old column is still there.
      const plan = await driver.planMigration(v2);
      expect(plan.statements).toEqual([]);
      expect(plan.skipped).toEqual([
        'DROP COLUMN "task"."legacy": destructive, applied only with allowDestructive',
      ]);
      const migration = await plugin.generateMigration(v2, { allowDestructive: true });
      expect(migration.up).toHaveLength(migration.plan!.statements.length);
      await plugin.applyMigration(migration);
      expect((await driver.planMigration(v2)).actions).toEqual([]);
    } finally {
      await plugin.onStop({});
    }
  });

  it('should fail the start, changing nothing, when a value would not convert', async () => {
    const url = `file:${path.join(dir, 'app.db')}`;
    const old = open('app.db');
    await old.init(v1);
    await old.create('task', { id: 'a', priority: 'urgent' });
    const before = await old.schemaFingerprint();
    await old.disconnect();
    const plugin = new TursoDriverPlugin({ connection: { url }, autoMigrate: true, objects: v2 } as never);
    plugin.install({});
    await expect(plugin.onStart({})).rejects.toMatchObject({ code: 'MIGRATION_REFUSED' });
    await plugin.onStop({});
    expect(await open('app.db').schemaFingerprint()).toBe(before);
  });
});

describe.each(kernelNodes())('the ObjectStack kernel ($label)', ({ path: node }) => {
  const kernels = useKernels();
  const start = (setup: Omit<KernelSetup, 'node'>) => kernels.start({ ...setup, node });

  it("should migrate a changed object through the engine on the kernel's schema sync", async () => {
    const url = `file:${path.join(dir, 'kernel.db')}`;
    const task = (priority: string) => ({
      name: 'task',
      fields: { title: { type: 'text' }, priority: { type: priority } },
    });
    const first = await start({ objects: [task('text')], url, plugin: { autoMigrate: true } });
    await first.ql.insert('task', { title: 'a', priority: '2' });
    await first.close();

    const second = await start({ objects: [task('number')], url, plugin: { autoMigrate: true } });
    try {
      const found = await second.ql.find('task', {});
      expect(found.map((r: any) => [r.title, r.priority])).toEqual([['a', 2]]);
      const [column] = (await second.driver(
        'execute',
        "SELECT type FROM pragma_table_info('task') WHERE name = 'priority'",
      )) as any[];
      expect(column.type).toBe('INTEGER');
    } finally {
      await second.close();
    }
  });
});
