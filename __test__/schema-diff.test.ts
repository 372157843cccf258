import { type IntrospectedSchema, type ObjectSchema } from '..';
import { thrownBy, useSandbox } from './util';

// The public `index.js` exports are wired separately; the native functions are the API here.
const native = require('..') as any;

interface ColumnDef {
  name: string;
  sqlType: string;
  notNull?: boolean;
  defaultValue?: unknown;
  isPrimary?: boolean;
}

type SchemaDiffAction =
  | { type: 'create_table'; table: string; columns: ColumnDef[] }
  | { type: 'add_column'; table: string; column: ColumnDef }
  | { type: 'drop_table'; table: string };

interface SchemaDiff {
  actions: SchemaDiffAction[];
  summary: string[];
}

interface SchemaMigration {
  up: string[];
  down: string[];
  summary: string[];
}

const diffSchema = (desired: unknown, live: unknown, options?: { systemTables?: string[] }): SchemaDiff =>
  native.diffSchema(desired, live, options);
const generateMigration = (diff: unknown): SchemaMigration => native.generateMigration(diff);

/** An introspectSchema()-shaped schema from `table -> column names`. */
function introspected(tables: Record<string, string[]>): IntrospectedSchema {
  const result: IntrospectedSchema = { tables: {} };
  for (const [name, cols] of Object.entries(tables)) {
    result.tables[name] = {
      name,
      columns: cols.map((c) => ({ name: c, type: 'TEXT', nullable: c !== 'id', isPrimary: c === 'id' })),
      foreignKeys: [],
      primaryKeys: ['id'],
    };
  }
  return result;
}

const UP_TO_DATE = 'Schema is up to date — no changes needed.';

describe('given diffSchema', () => {
  it('should plan a create_table whose first column is the id', () => {
    const diff = diffSchema(
      [
        {
          name: 'users',
          fields: {
            email: { type: 'text' },
            age: { type: 'integer' },
            theme: { type: 'text', required: true, defaultValue: 'light' },
          },
        },
      ],
      introspected({}),
    );
    expect(diff).toEqual({
      actions: [
        {
          type: 'create_table',
          table: 'users',
          columns: [
            { name: 'id', sqlType: 'TEXT', isPrimary: true },
            { name: 'email', sqlType: 'TEXT', notNull: false },
            { name: 'age', sqlType: 'INTEGER', notNull: false },
            { name: 'theme', sqlType: 'TEXT', notNull: true, defaultValue: 'light' },
          ],
        },
      ],
      summary: ['CREATE TABLE "users" (4 columns)'],
    });
  });

  it('should plan add_column for missing fields, never for id', () => {
    const diff = diffSchema(
      [
        {
          name: 'users',
          fields: { id: { type: 'text' }, email: { type: 'text' }, age: { type: 'integer' } },
        },
      ],
      introspected({ users: ['id', 'email'] }),
    );
    expect(diff).toEqual({
      actions: [
        { type: 'add_column', table: 'users', column: { name: 'age', sqlType: 'INTEGER', notNull: false } },
      ],
      summary: ['ADD COLUMN "users"."age" INTEGER'],
    });
  });

  it('should order changes as add/create per object, then drops', () => {
    const diff = diffSchema(
      [
        { name: 'users', fields: { email: { type: 'text' }, phone: { type: 'text' } } },
        { name: 'tasks', fields: { title: { type: 'text' }, done: { type: 'boolean' } } },
      ],
      introspected({ users: ['id', 'email'], legacy: ['id', 'data'] }),
    );
    expect(diff.actions.map((a) => a.type)).toEqual(['add_column', 'create_table', 'drop_table']);
    expect(diff.summary).toEqual([
      'ADD COLUMN "users"."phone" TEXT',
      'CREATE TABLE "tasks" (3 columns)',
      'DROP TABLE "legacy"',
    ]);
  });

  it('should say the schema is up to date when nothing changes', () => {
    const diff = diffSchema(
      [{ name: 'users', fields: { email: { type: 'text' } } }],
      introspected({ users: ['id', 'email'] }),
    );
    expect(diff).toEqual({ actions: [], summary: [UP_TO_DATE] });
  });

  it('should never drop sqlite_ tables, nor the system tables of the options', () => {
    const live = introspected({ sqlite_stat1: ['tbl'], sys_user: ['id'], old: ['id'] });
    expect(diffSchema([], live).actions).toEqual([
      { type: 'drop_table', table: 'sys_user' },
      { type: 'drop_table', table: 'old' },
    ]);
    expect(diffSchema([], live, { systemTables: ['sys_'] }).actions).toEqual([
      { type: 'drop_table', table: 'old' },
    ]);
    expect(diffSchema([], live, { systemTables: ['sys_*'] }).actions).toEqual([
      { type: 'drop_table', table: 'old' },
    ]);
  });

  it('should refuse malformed input with INVALID_REQUEST', () => {
    for (const [desired, live, options] of [
      [{}, introspected({}), undefined],
      [[{ fields: {} }], introspected({})],
      [[{ name: 't', fields: { a: { type: 5 } } }], introspected({})],
      [[{ name: 't' }, { name: 'T' }], introspected({})],
      [[], {}],
      [[], { tables: { t: {} } }],
      [[], introspected({}), { systemTables: 'sys_' }],
      [[], introspected({}), { systemTables: [''] }],
    ] as Array<[unknown, unknown, unknown]>) {
      expect(thrownBy(() => native.diffSchema(desired, live, options))).toMatchObject({
        code: 'INVALID_REQUEST',
      });
    }
  });
});

describe('given generateMigration', () => {
  it('should create and drop tables', () => {
    const migration = generateMigration(
      diffSchema(
        [{ name: 'tasks', fields: { title: { type: 'text' }, done: { type: 'boolean' } } }],
        introspected({}),
      ),
    );
    expect(migration).toEqual({
      up: ['CREATE TABLE IF NOT EXISTS "tasks" ("id" TEXT PRIMARY KEY, "title" TEXT, "done" INTEGER);'],
      down: ['DROP TABLE IF EXISTS "tasks";'],
      summary: ['CREATE TABLE "tasks" (3 columns)'],
    });
  });

  it('should add columns with NOT NULL and an escaped DEFAULT, and drop them on the way down', () => {
    const migration = generateMigration(
      diffSchema(
        [
          {
            name: 'users',
            fields: {
              email: { type: 'text' },
              status: { type: 'text', required: true, defaultValue: 'active' },
              motto: { type: 'text', defaultValue: "it's" },
            },
          },
        ],
        introspected({ users: ['id', 'email'] }),
      ),
    );
    expect(migration.up).toEqual([
      `ALTER TABLE "users" ADD COLUMN "status" TEXT NOT NULL DEFAULT 'active';`,
      `ALTER TABLE "users" ADD COLUMN "motto" TEXT DEFAULT 'it''s';`,
    ]);
    expect(migration.down).toEqual([
      'ALTER TABLE "users" DROP COLUMN "status";',
      'ALTER TABLE "users" DROP COLUMN "motto";',
    ]);
  });

  it('should drop removed tables and say the drop cannot be undone', () => {
    const migration = generateMigration(diffSchema([], introspected({ old_table: ['id'] })));
    expect(migration.up).toEqual(['DROP TABLE IF EXISTS "old_table";']);
    expect(migration.down).toHaveLength(1);
    expect(migration.down[0]).toMatch(/^-- Cannot auto-recreate dropped table "old_table"/);
  });

  it('should give an empty migration for an up-to-date schema', () => {
    const migration = generateMigration(
      diffSchema(
        [{ name: 'users', fields: { email: { type: 'text' } } }],
        introspected({ users: ['id', 'email'] }),
      ),
    );
    expect(migration).toEqual({ up: [], down: [], summary: [UP_TO_DATE] });
  });

  it('should refuse SQL smuggled through sqlType and drops of sqlite_ tables', () => {
    const column = { name: 'a', sqlType: 'TEXT); DROP TABLE users; --' };
    for (const diff of [
      { actions: [{ type: 'add_column', table: 'users', column }], summary: [] },
      { actions: [{ type: 'drop_table', table: 'sqlite_sequence' }], summary: [] },
      { actions: [{ type: 'rename_table', table: 'users' }], summary: [] },
      { summary: [] },
    ]) {
      expect(thrownBy(() => generateMigration(diff))).toMatchObject({ code: 'INVALID_REQUEST' });
    }
  });
});

describe('given a real database', () => {
  const sandbox = useSandbox();

  it('should migrate it to the desired schema, after which the diff is empty', async () => {
    const driver = sandbox.driver({ url: sandbox.fileUrl() });
    await driver.init([{ name: 'users', fields: { email: { type: 'text' } } }]);
    await driver.create('users', { id: 'u1', email: 'a@example.com' });

    const desired: ObjectSchema[] = [
      {
        name: 'users',
        fields: {
          email: { type: 'text' },
          status: { type: 'text', required: true, defaultValue: "it's new" },
        },
      },
      {
        name: 'tasks',
        fields: { title: { type: 'text', required: true }, done: { type: 'boolean', defaultValue: false } },
      },
    ];
    const diff = diffSchema(desired, await driver.introspectSchema());
    expect(diff.actions.map((a) => a.type)).toEqual(['add_column', 'create_table']);

    const migration = generateMigration(diff);
    for (const sql of migration.up) {
      if (!sql.startsWith('--')) await driver.execute(sql);
    }

    const after = await driver.introspectSchema();
    expect(diffSchema(desired, after)).toEqual({ actions: [], summary: [UP_TO_DATE] });
    expect(await driver.findOne('users', 'u1')).toMatchObject({ email: 'a@example.com', status: "it's new" });

    // The down statements undo the up ones: the first diff comes back.
    for (const sql of [...migration.down].reverse()) {
      if (!sql.startsWith('--')) await driver.execute(sql);
    }
    expect(diffSchema(desired, await driver.introspectSchema())).toEqual(diff);
    for (const sql of migration.up) {
      if (!sql.startsWith('--')) await driver.execute(sql);
    }

    await driver.init(desired);
    expect(await driver.create('tasks', { id: 't1', title: 'x' })).toMatchObject({ id: 't1', done: false });
  });
});
