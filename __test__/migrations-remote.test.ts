// Safe migrations against a real libSQL server (sqld): a plan's rebuild keeps rows and
// child rows on a server that enforces foreign keys, a failure applies nothing, drift is
// refused, an embedded replica migrates its primary, and a migration that holds the
// write lock past the server's 5 s lease while another writer waits is rolled back whole.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { executeMigrations, TursoDriver, type TursoDriverConfig } from '..';
import { startSqld, type NamespacedSqld } from './support/sqld';

let sqld: NamespacedSqld;
let dir: string;
let seq = 0;
const drivers: TursoDriver[] = [];

beforeAll(async () => {
  sqld = await startSqld([], { namespaces: true });
});
afterAll(async () => {
  await sqld?.dispose();
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-remote-'));
});
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.disconnect()));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function database(
  config: Partial<TursoDriverConfig> = {},
): Promise<{ url: string; driver: TursoDriver }> {
  const ns = `mig${++seq}`;
  await sqld.createNamespace(ns);
  const url = sqld.namespaceUrl(ns);
  const driver = new TursoDriver({ url, ...config } as TursoDriverConfig);
  drivers.push(driver);
  return { url, driver };
}

const v1 = [{ name: 'task', fields: { title: { type: 'text' }, priority: { type: 'text' } } }];
const v2 = [{ name: 'task', fields: { title: { type: 'text' }, priority: { type: 'integer' } } }];

async function rows(driver: TursoDriver, sql: string): Promise<any[]> {
  return (await driver.execute(sql)).rows as any[];
}

describe('migrations on a libSQL server', () => {
  it('should rebuild a parent and keep every row and every cascading child row', async () => {
    const { driver } = await database();
    await driver.init(v1);
    await driver.execute(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
       INSERT INTO task (id, title, priority) SELECT 't' || i, 'task ' || i, CAST(i % 7 AS TEXT) FROM n`,
    );
    await driver.execute(
      'CREATE TABLE note (id TEXT PRIMARY KEY, task_id TEXT REFERENCES task(id) ON DELETE CASCADE)',
    );
    await driver.execute(`INSERT INTO note SELECT 'n' || id, id FROM task`);
    // The server enforces foreign keys: a plain DROP TABLE task would cascade.
    expect((await rows(driver, 'PRAGMA foreign_keys'))[0].foreign_keys).toBe(1);

    const plan = await driver.planMigration(v2, { protectedTables: ['note'] });
    expect(plan.summary).toEqual(['task.priority: TEXT → INTEGER, 10,000 rows, every value converts']);
    const done = await driver.applyMigrationPlan(plan);
    expect(done.fingerprint).toBe(await driver.schemaFingerprint());

    expect(await rows(driver, 'SELECT typeof(priority) AS t, count(*) AS n FROM task GROUP BY 1')).toEqual([
      { t: 'integer', n: 10000 },
    ]);
    expect((await rows(driver, 'SELECT count(*) AS n FROM note'))[0].n).toBe(10000);
    await driver.execute(`DELETE FROM task WHERE id = 't1'`);
    expect((await rows(driver, 'SELECT count(*) AS n FROM note'))[0].n).toBe(9999);
  });

  it('should apply nothing when a statement fails, and refuse a plan made against another schema', async () => {
    const { driver } = await database();
    await driver.init(v1);
    await driver.create('task', { id: 'a', title: 'keep', priority: '1' });
    const err = await executeMigrations(driver, [
      'ALTER TABLE task ADD COLUMN extra TEXT',
      `UPDATE task SET title = 'lost'`,
      'INSERT INTO nowhere VALUES (1)',
    ]).catch((e: any) => e);
    expect(err.message).toContain('statement 3 of 3');
    expect((await driver.findOne('task', 'a'))?.title).toBe('keep');
    expect((await driver.introspectSchema()).tables.task.columns.map((c: any) => c.name)).not.toContain(
      'extra',
    );

    const plan = await driver.planMigration(v2);
    await driver.execute('CREATE INDEX by_title ON task (title)');
    await expect(driver.applyMigrationPlan(plan)).rejects.toMatchObject({ code: 'SCHEMA_DRIFT' });
  });

  it('should migrate the primary from an embedded replica and pull the result', async () => {
    const { url, driver: primary } = await database();
    await primary.init(v1);
    await primary.create('task', { id: 'a', priority: '4' });
    const replica = new TursoDriver({
      url: `file:${path.join(dir, 'replica.db')}`,
      syncUrl: url,
    } as TursoDriverConfig);
    drivers.push(replica);
    await replica.sync();
    const plan = await replica.planMigration(v2);
    await replica.applyMigrationPlan(plan);
    await replica.sync();
    expect(await rows(primary, 'SELECT typeof(priority) AS t FROM task')).toEqual([{ t: 'integer' }]);
    expect(await rows(replica, 'SELECT typeof(priority) AS t FROM task')).toEqual([{ t: 'integer' }]);
  });

  it("should roll the whole migration back when it outlives the server's write lease while another writer waits", async () => {
    const { url, driver } = await database();
    await driver.init(v1);
    const other = new TursoDriver({ url });
    drivers.push(other);
    // Each statement computes for a few seconds, so the transaction holds the lock past 5 s.
    const slow = `INSERT INTO spin SELECT count(*) FROM (WITH RECURSIVE c(i) AS
      (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 12000000) SELECT i FROM c)`;
    const migration = executeMigrations(driver, ['CREATE TABLE spin (n INTEGER)', slow, slow, slow]).catch(
      (e: any) => e,
    );
    await new Promise((r) => setTimeout(r, 1000));
    // A writer that waits for the lock: the server ends the migration after its lease.
    await other.execute('CREATE TABLE waited (x TEXT)');
    const err = await migration;
    expect(err).toBeInstanceOf(Error);
    // Whichever statement meets the end of the lease, the error says what happened.
    expect(err.message).toMatch(/Transaction timed out/);
    expect(err.message).toMatch(/write lock longer than/);
    const tables = (await rows(driver, `SELECT name FROM sqlite_master WHERE type = 'table'`)).map(
      (r) => r.name,
    );
    expect(tables).toContain('waited');
    expect(tables).not.toContain('spin');
  }, 60_000);
});
