import { TursoDriver, type IntrospectedColumn, type IntrospectedTable } from '..';
import { DB_KINDS, urlFor, useSandbox } from './util';

function column(table: IntrospectedTable | undefined, name: string): IntrospectedColumn {
  const col = table?.columns.find((c) => c.name === name);
  if (!col) throw new Error(`column ${name} is missing from ${JSON.stringify(table)}`);
  return col;
}

describe.each(DB_KINDS)('given a driver on an empty database (%s)', (kind) => {
  const sandbox = useSandbox(kind);
  let d: TursoDriver;

  beforeEach(() => {
    d = sandbox.driver({ url: urlFor(sandbox, kind) });
  });

  describe('when init creates tables', () => {
    it('should create "id" TEXT PRIMARY KEY and one typed column per field', async () => {
      await d.init([
        {
          name: 'projects',
          fields: {
            title: { type: 'text' },
            budget: { type: 'float' },
            count: { type: 'integer' },
            active: { type: 'boolean' },
            settings: { type: 'json' },
            logo: { type: 'image' },
            due: { type: 'date' },
            other: { type: 'whatever' },
            untyped: {},
          },
        },
      ]);
      const { tables } = await d.introspectSchema();
      const projects = tables.projects;
      expect(projects.name).toBe('projects');
      expect(projects.primaryKeys).toEqual(['id']);
      expect(projects.foreignKeys).toEqual([]);
      expect(projects.columns.map((c) => c.name)).toEqual([
        'id',
        'title',
        'budget',
        'count',
        'active',
        'settings',
        'logo',
        'due',
        'other',
        'untyped',
      ]);
      expect(column(projects, 'id')).toMatchObject({
        type: 'TEXT',
        isPrimary: true,
      });
      const types = Object.fromEntries(projects.columns.map((c) => [c.name, c.type]));
      expect(types).toEqual({
        id: 'TEXT',
        title: 'TEXT',
        budget: 'REAL',
        count: 'INTEGER',
        active: 'INTEGER',
        settings: 'TEXT',
        logo: 'BLOB',
        due: 'TEXT',
        other: 'TEXT',
        untyped: 'TEXT',
      });
      expect(column(projects, 'title')).toMatchObject({
        nullable: true,
        isPrimary: false,
      });
    });

    it('should skip a field named id', async () => {
      await d.init([
        {
          name: 'things',
          fields: { id: { type: 'integer' }, name: { type: 'text' } },
        },
      ]);
      const { tables } = await d.introspectSchema();
      expect(tables.things.columns.map((c) => c.name)).toEqual(['id', 'name']);
      expect(column(tables.things, 'id').type).toBe('TEXT');
    });

    it('should create a table without fields', async () => {
      await d.init([{ name: 'bare' }]);
      const { tables } = await d.introspectSchema();
      expect(tables.bare.columns.map((c) => c.name)).toEqual(['id']);
      await expect(d.create('bare', {})).resolves.toMatchObject({
        id: expect.any(String),
      });
    });

    it('should create several tables, through syncSchema too', async () => {
      await d.syncSchema([
        { name: 'a', fields: { x: { type: 'text' } } },
        { name: 'b', fields: { y: { type: 'text' } } },
      ]);
      const { tables } = await d.introspectSchema();
      expect(Object.keys(tables).sort()).toEqual(['a', 'b']);
    });

    it('should make required fields NOT NULL and refuse a record without them', async () => {
      await d.init([
        {
          name: 'tasks',
          fields: {
            title: { type: 'text', required: true },
            note: { type: 'text' },
          },
        },
      ]);
      const { tables } = await d.introspectSchema();
      expect(column(tables.tasks, 'title').nullable).toBe(false);
      expect(column(tables.tasks, 'note').nullable).toBe(true);
      await expect(d.create('tasks', { note: 'no title' })).rejects.toMatchObject({ name: 'ObjectQLError' });
      await expect(d.count('tasks', {})).resolves.toBe(0);
    });

    it('should apply defaults, escaping string defaults', async () => {
      await d.init([
        {
          name: 'docs',
          fields: {
            status: { type: 'text', defaultValue: 'draft' },
            quote: { type: 'text', defaultValue: "it's" },
            nasty: { type: 'text', defaultValue: "x'); DROP TABLE docs; --" },
            priority: { type: 'integer', defaultValue: 5 },
            ratio: { type: 'float', defaultValue: 0.5 },
            enabled: { type: 'boolean', defaultValue: true },
            hidden: { type: 'boolean', defaultValue: false },
            title: { type: 'text' },
          },
        },
      ]);
      const created = await d.create('docs', { title: 't' });
      expect(created).toMatchObject({
        status: 'draft',
        quote: "it's",
        nasty: "x'); DROP TABLE docs; --",
        priority: 5,
        ratio: 0.5,
        enabled: true,
        hidden: false,
      });
      const { tables } = await d.introspectSchema();
      expect(String(column(tables.docs, 'status').defaultValue)).toContain('draft');
      expect(column(tables.docs, 'title').defaultValue).toBeUndefined();
    });

    it('should be idempotent and keep the data', async () => {
      const schema = [{ name: 'notes', fields: { body: { type: 'text' } } }];
      await d.init(schema);
      await d.create('notes', { id: 'n', body: 'keep me' });
      await d.init(schema);
      expect(await d.find('notes', {})).toEqual([{ id: 'n', body: 'keep me' }]);
    });

    it('should add missing columns to an existing table on a later call', async () => {
      await d.init([{ name: 'people', fields: { name: { type: 'text' } } }]);
      await d.create('people', { id: 'old', name: 'Old' });
      await d.syncSchema([
        {
          name: 'people',
          fields: {
            name: { type: 'text' },
            age: { type: 'integer' },
            tags: { type: 'array' },
            active: { type: 'boolean' },
            level: { type: 'text', defaultValue: "it's new" },
          },
        },
      ]);
      const { tables } = await d.introspectSchema();
      expect(tables.people.columns.map((c) => c.name)).toEqual([
        'id',
        'name',
        'age',
        'tags',
        'active',
        'level',
      ]);
      expect(column(tables.people, 'age').type).toBe('INTEGER');
      expect(await d.findOne('people', 'old')).toMatchObject({
        name: 'Old',
        age: null,
        level: "it's new",
      });
      const created = await d.create('people', {
        id: 'new',
        name: 'New',
        tags: ['a', 'b'],
        active: true,
        age: 3,
      });
      expect(created).toMatchObject({ tags: ['a', 'b'], active: true, age: 3 });
    });

    it('should refuse a bad table or field name with INVALID_REQUEST and create nothing', async () => {
      await expect(d.init([{ name: '', fields: { a: { type: 'text' } } }])).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
      await expect(
        d.init([{ name: 'ok_table', fields: { 'bad\u0000name': { type: 'text' } } }]),
      ).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
      const { tables } = await d.introspectSchema();
      expect(tables).toEqual({});
    });
  });

  describe('when introspecting', () => {
    it('should return no tables for an empty database', async () => {
      await expect(d.introspectSchema()).resolves.toEqual({ tables: {} });
    });

    it('should leave out sqlite_ internal tables', async () => {
      await d.execute('CREATE TABLE "counter" ("n" INTEGER PRIMARY KEY AUTOINCREMENT, "v" TEXT)');
      await d.execute('INSERT INTO "counter" ("v") VALUES (?)', ['x']);
      // sqld refuses ANALYZE; AUTOINCREMENT's sqlite_sequence is internal table enough there.
      if (kind !== 'remote') await d.execute('ANALYZE');
      const { tables } = await d.introspectSchema();
      expect(Object.keys(tables)).toEqual(['counter']);
      const internal = await d.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sqlite_%'",
      );
      expect(internal.rows.length).toBeGreaterThan(0);
    });

    it('should report foreign keys and composite primary keys', async () => {
      await d.init([{ name: 'users', fields: { name: { type: 'text' } } }]);
      await d.execute(
        'CREATE TABLE "memberships" ("user_id" TEXT NOT NULL REFERENCES "users"("id"), "group_id" TEXT NOT NULL, "role" TEXT DEFAULT \'member\', PRIMARY KEY ("user_id", "group_id"))',
      );
      const { tables } = await d.introspectSchema();
      const m = tables.memberships;
      expect(m.foreignKeys).toEqual([
        {
          columnName: 'user_id',
          referencedTable: 'users',
          referencedColumn: 'id',
        },
      ]);
      expect(m.primaryKeys).toEqual(['user_id', 'group_id']);
      expect(column(m, 'user_id')).toMatchObject({
        nullable: false,
        isPrimary: true,
        type: 'TEXT',
      });
      expect(column(m, 'role')).toMatchObject({
        nullable: true,
        isPrimary: false,
      });
      expect(String(column(m, 'role').defaultValue)).toContain('member');
    });
  });

  describe('when dropping a table', () => {
    it('should remove it', async () => {
      await d.init([{ name: 'temp', fields: { foo: { type: 'text' } } }]);
      await d.create('temp', { foo: 'bar' });
      await d.dropTable('temp');
      const { tables } = await d.introspectSchema();
      expect(tables.temp).toBeUndefined();
    });

    it('should not fail for a table that does not exist', async () => {
      await expect(d.dropTable('never_there')).resolves.toBeUndefined();
    });

    it('should let the table be created again afterwards', async () => {
      await d.init([{ name: 'temp', fields: { foo: { type: 'text' } } }]);
      await d.dropTable('temp');
      await d.init([{ name: 'temp', fields: { bar: { type: 'json' } } }]);
      const created = await d.create('temp', { bar: { ok: true } });
      expect(created).toMatchObject({ bar: { ok: true } });
      const { tables } = await d.introspectSchema();
      expect(tables.temp.columns.map((c) => c.name)).toEqual(['id', 'bar']);
    });
  });
});
