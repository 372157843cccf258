// The options that say how the driver treats its database rather than where it is: the
// journal mode of a file (and the environment's say in it), what opening a missing file
// does, whether the driver may change the schema at all, and where its warnings go.
// Every check reads the file back through better-sqlite3, a second connection that
// trusts nothing the driver says about itself.

import * as fs from 'fs';
import * as path from 'path';

import { TursoDriver, type TursoDriverConfig } from '..';
import { useSandbox } from './util';

const NOTE = { name: 'note', fields: { body: { type: 'text' } } };
const ENV = 'OS_DATABASE_SQLITE_JOURNAL_MODE';

/** better-sqlite3 ships no types: the little of it used here. */
interface SqliteFile {
  pragma(name: string, options: { simple: true }): unknown;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database: new (file: string, options: { readonly: boolean }) => SqliteFile = require('better-sqlite3');

/** A PRAGMA of the file at `file`, read by another connection. */
function pragma(file: string, name: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma(name, { simple: true });
  } finally {
    db.close();
  }
}

/** A logger that keeps what it is told. */
function recorder() {
  const seen: string[] = [];
  const log = (message: string) => void seen.push(message);
  return { seen, logger: { warn: log, error: log } };
}

describe('given a file database and the journal mode', () => {
  const sandbox = useSandbox();
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env[ENV];
    delete process.env[ENV];
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[ENV];
    else process.env[ENV] = saved;
  });

  const file = () => path.join(sandbox.dir(), 'app.db');
  const make = (config: Partial<TursoDriverConfig> = {}) => {
    const { seen, logger } = recorder();
    return { seen, driver: sandbox.driver({ url: `file:${file()}`, logger, ...config }) };
  };

  it('should put the file in WAL mode with incremental auto-vacuum, saying nothing', async () => {
    const { seen, driver } = make();
    await driver.init([NOTE]);
    expect(pragma(file(), 'journal_mode')).toBe('wal');
    expect(pragma(file(), 'auto_vacuum')).toBe(2);
    expect(seen).toEqual([]);
  });

  it("should convert a WAL file back with sqliteJournalMode: 'delete', keeping its rows and transactions", async () => {
    const first = make();
    await first.driver.init([NOTE]);
    await first.driver.create('note', { id: 'n1', body: 'kept' });
    await first.driver.disconnect();
    expect(pragma(file(), 'journal_mode')).toBe('wal');

    const { seen, driver } = make({ sqliteJournalMode: 'delete' });
    await driver.connect();
    expect(pragma(file(), 'journal_mode')).toBe('delete');
    expect(fs.existsSync(`${file()}-wal`)).toBe(false);
    expect(seen).toEqual([]);
    // Transactions still get a connection of their own on a rollback journal.
    const tx = await driver.beginTransaction();
    await driver.create('note', { id: 'n2', body: 'in tx' }, { transaction: tx });
    await driver.commit(tx);
    expect((await driver.find('note', {})).map((r) => r.id)).toEqual(['n1', 'n2']);
  });

  it('should take the mode from the environment unless the option says otherwise', async () => {
    process.env[ENV] = 'delete';
    const env = make();
    await env.driver.connect();
    expect(pragma(file(), 'journal_mode')).toBe('delete');
    await env.driver.disconnect();

    const option = make({ sqliteJournalMode: 'wal' });
    await option.driver.connect();
    expect(pragma(file(), 'journal_mode')).toBe('wal');
  });

  it('should report an environment value it does not know and stay on WAL', async () => {
    process.env[ENV] = 'wal2';
    const { seen, driver } = make();
    await driver.connect();
    expect(pragma(file(), 'journal_mode')).toBe('wal');
    expect(seen.join('\n')).toMatch(/Ignoring SQLite journal mode 'wal2'/);
  });

  it('should refuse an option value it does not know, as CONFIG_ERROR', () => {
    expect(() => new TursoDriver({ url: ':memory:', sqliteJournalMode: 'wal2' as 'wal' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_ERROR',
        message: expect.stringContaining('sqliteJournalMode'),
      }),
    );
  });
});

describe('given a file database that does not exist yet', () => {
  const sandbox = useSandbox();

  it('should make the file and its missing directories by default', async () => {
    const file = path.join(sandbox.dir(), 'data', 'nested', 'app.db');
    const driver = sandbox.driver({ url: `file:${file}` });
    await driver.init([NOTE]);
    expect(fs.existsSync(file)).toBe(true);
    expect(driver.sqliteOpenedEmptyInMemory).toBe(false);
  });

  it("should make nothing on disk with sqliteAbsentFile: 'empty-in-memory'", async () => {
    const dir = path.join(sandbox.dir(), 'data');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'unrelated.txt'), 'keep me');
    const driver = sandbox.driver({
      url: `file:${path.join(dir, 'app.db')}`,
      sqliteAbsentFile: 'empty-in-memory',
    });
    await driver.connect();
    expect(driver.sqliteOpenedEmptyInMemory).toBe(true);
    expect(await driver.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).toMatchObject({
      rows: [],
    });
    await driver.disconnect();
    expect(fs.readdirSync(dir)).toEqual(['unrelated.txt']);
  });

  it("should open a file that does exist normally under 'empty-in-memory'", async () => {
    const url = sandbox.fileUrl('there.db');
    const seed = sandbox.driver({ url });
    await seed.init([NOTE]);
    await seed.create('note', { id: 'n1', body: 'kept' });
    await seed.disconnect();
    const driver = sandbox.driver({ url, sqliteAbsentFile: 'empty-in-memory' });
    expect(await driver.find('note', {})).toEqual([{ id: 'n1', body: 'kept' }]);
    expect(driver.sqliteOpenedEmptyInMemory).toBe(false);
  });
});

describe("given schemaMode other than 'managed'", () => {
  const sandbox = useSandbox();

  it.each(['external', 'validate-only'] as const)(
    'should refuse every DDL entry point in %s mode and create nothing',
    async (schemaMode) => {
      const url = sandbox.fileUrl();
      const driver = sandbox.driver({ url, schemaMode, contract: 'objectstack' });
      const refused = { code: 'EXTERNAL_SCHEMA_MODE_VIOLATION', status: 403 };
      await expect(driver.initObjects([NOTE])).rejects.toMatchObject(refused);
      await expect(driver.syncSchema('note', NOTE)).rejects.toMatchObject(refused);
      await expect(driver.syncSchemasBatch([{ object: 'note', schema: NOTE }])).rejects.toMatchObject(
        refused,
      );
      await expect(driver.dropTable('note')).rejects.toMatchObject({
        ...refused,
        message: expect.stringContaining(`schemaMode='${schemaMode}'`),
      });
      // An external object is learnt without DDL.
      await driver.registerExternalObject({
        name: 'ext_note',
        external: { remoteName: 'notes' },
        fields: {},
      });
      expect(await driver.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).toEqual([]);
    },
  );

  it('should keep the behaviour options off driver.config, which describes the connection', () => {
    const { logger } = recorder();
    const driver = sandbox.driver({
      url: ':memory:',
      schemaMode: 'external',
      autoMigrate: 'safe',
      sqliteJournalMode: 'delete',
      sqliteAbsentFile: 'create',
      logger,
    });
    expect(driver.config).toEqual({ url: ':memory:', client: 'better-sqlite3' });
    expect(driver.logger).toBe(logger);
    expect(driver.getTursoConfig()).toMatchObject({ schemaMode: 'external' });
  });
});
