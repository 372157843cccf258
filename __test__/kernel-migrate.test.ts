// The kernel's migration surface (`os migrate plan` / `apply`): detectManagedDrift,
// applyMigrationEntries, and schema sync deferred until the plan was seen.

import { type ManagedDriftEntry, type TursoDriver } from '..';
import { useSandbox } from './util';

type Row = Record<string, unknown>;

const box = useSandbox();

function kernelDriver(options: Record<string, unknown> = {}): TursoDriver {
  return box.driver({
    url: box.fileUrl(),
    contract: 'objectstack',
    logger: { warn: () => undefined, error: () => undefined },
    ...options,
  } as never);
}

const sql = async (d: TursoDriver, statement: string): Promise<Row[]> =>
  (await d.execute(statement)) as unknown as Row[];

/** Index name → its CREATE statement. */
async function indexes(d: TursoDriver, table: string): Promise<Record<string, string>> {
  const rows = await sql(
    d,
    `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '${table}' AND sql IS NOT NULL`,
  );
  return Object.fromEntries(rows.map((r) => [r.name as string, r.sql as string]));
}

const PRODUCT = {
  name: 'product',
  fields: { organization_id: { type: 'text' }, code: { type: 'text', unique: true } },
};

/** The pre-per-tenant shape: a unique index over `code` alone across every tenant. */
async function legacyProduct(d: TursoDriver): Promise<void> {
  await d.execute('CREATE TABLE product (id TEXT PRIMARY KEY, organization_id TEXT, code TEXT)');
  await d.execute('CREATE UNIQUE INDEX product_code_unique ON product (code)');
  await d.execute("INSERT INTO product (id, organization_id, code) VALUES ('r1', 'org_a', 'P-1')");
}

const byOp = (drift: ManagedDriftEntry[], type: string) => drift.filter((d) => d.op.type === type);

describe('given a table the definition has moved away from', () => {
  it('should report a legacy all-tenant unique as a safe replace_unique_index, and apply it', async () => {
    const d = kernelDriver();
    await legacyProduct(d);
    await d.initObjects([PRODUCT as never]);

    const drift = await d.detectManagedDrift();
    const [entry] = byOp(drift, 'replace_unique_index');
    expect(entry).toMatchObject({
      kind: 'index_mismatch',
      table: 'product',
      column: 'code',
      category: 'safe',
      severity: 'warning',
      actual: 'UNIQUE (code)',
      op: {
        dropIndexNames: ['product_code_unique'],
        createColumns: ['organization_id', 'code'],
        nullSafeColumns: ['organization_id'],
      },
    });
    expect(entry.message).toMatch(/os migrate apply/);

    const { applied, skipped } = await d.applyMigrationEntries(drift);
    expect(applied).toContain(entry);
    expect(skipped).toEqual([]);
    expect(Object.keys(await indexes(d, 'product'))).not.toContain('product_code_unique');
    // Another tenant may now reuse the code; the data stayed.
    await d.create('product', { organization_id: 'org_b', code: 'P-1' });
    expect(await d.count('product', {})).toBe(2);
    expect(await d.detectManagedDrift()).toEqual([]);
    // Applying the same entries again changes nothing and skips nothing.
    expect((await d.applyMigrationEntries(drift)).skipped).toEqual([]);
  });

  it('should rate a same-name redefinition by uniqueness, and rebuild it', async () => {
    const d = kernelDriver();
    const domain = (indexes: unknown[]) => ({
      name: 'domain',
      fields: { organization_id: { type: 'text' }, host: { type: 'text' } },
      indexes,
    });
    await d.initObjects([domain([{ name: 'domain_host_idx', fields: ['host'] }]) as never]);

    const wider = await d.detectManagedDrift([
      domain([{ name: 'domain_host_idx', fields: ['organization_id', 'host'] }]) as never,
    ]);
    const [recreate] = byOp(wider, 'recreate_index');
    expect(recreate).toMatchObject({
      category: 'needs_confirm',
      actual: '(host)',
      expected: '(organization_id, host)',
    });
    expect((await d.applyMigrationEntries(wider)).applied).toEqual([recreate]);
    expect((await indexes(d, 'domain')).domain_host_idx).toMatch(/"organization_id", "host"/);

    const unique = await d.detectManagedDrift([
      domain([{ name: 'domain_host_idx', fields: ['organization_id', 'host'], unique: true }]) as never,
    ]);
    expect(byOp(unique, 'recreate_index')[0]).toMatchObject({ category: 'destructive', severity: 'error' });
    expect((await d.applyMigrationEntries(unique)).skipped).toHaveLength(1);
    expect((await d.applyMigrationEntries(unique, { allowDestructive: true })).applied).toHaveLength(1);
    expect((await indexes(d, 'domain')).domain_host_idx).toMatch(/UNIQUE/);
  });

  it('should keep the old index when a unique rebuild meets duplicate rows', async () => {
    const d = kernelDriver();
    const tag = (unique: boolean) => ({
      name: 'tag',
      fields: { label: { type: 'text' } },
      indexes: [{ name: 'tag_label_idx', fields: ['label'], unique }],
    });
    await d.initObjects([tag(false) as never]);
    await d.bulkCreate('tag', [{ label: 'x' }, { label: 'x' }]);

    const drift = await d.detectManagedDrift([tag(true) as never]);
    const result = await d.applyMigrationEntries(drift, { allowDestructive: true });
    expect(result.skipped).toHaveLength(1);
    expect((await indexes(d, 'tag')).tag_label_idx).not.toMatch(/UNIQUE/);
  });

  it('should report an orphaned generated index as destructive and drop it only when allowed', async () => {
    const d = kernelDriver();
    await d.initObjects([
      { name: 'domain', fields: { host: { type: 'text' } }, indexes: [{ fields: ['host'] }] } as never,
    ]);
    const drift = await d.detectManagedDrift([
      { name: 'domain', fields: { host: { type: 'text' } } } as never,
    ]);
    const [orphan] = byOp(drift, 'drop_index');
    expect(orphan).toMatchObject({
      kind: 'unmapped_index',
      category: 'destructive',
      op: { indexName: 'idx_domain_host' },
    });

    expect((await d.applyMigrationEntries(drift)).skipped).toEqual([orphan]);
    expect(Object.keys(await indexes(d, 'domain'))).toContain('idx_domain_host');
    expect((await d.applyMigrationEntries(drift, { allowDestructive: true })).applied).toEqual([orphan]);
    expect(Object.keys(await indexes(d, 'domain'))).not.toContain('idx_domain_host');
  });

  it('should report a declared index the table lacks as a safe create_index, and create it', async () => {
    const d = kernelDriver();
    await d.initObjects([{ name: 'slug', fields: { slug: { type: 'text' } } } as never]);
    const wanted = {
      name: 'slug',
      fields: { slug: { type: 'text' } },
      indexes: [{ fields: ['slug'], unique: true }],
    };

    const drift = await d.detectManagedDrift([wanted as never]);
    expect(drift).toEqual([
      expect.objectContaining({
        category: 'safe',
        actual: '(absent)',
        op: expect.objectContaining({ type: 'create_index', indexName: 'uniq_slug_slug', unique: true }),
      }),
    ]);
    await d.applyMigrationEntries(drift);
    expect(Object.keys(await indexes(d, 'slug'))).toContain('uniq_slug_slug');
  });

  it('should report column drift in the kernel categories', async () => {
    const d = kernelDriver();
    await d.execute(
      'CREATE TABLE biz (id TEXT PRIMARY KEY, name TEXT, organization_id TEXT NOT NULL, legacy_code TEXT)',
    );
    await d.initObjects([
      {
        name: 'biz',
        fields: {
          name: { type: 'text', storage: { notNull: true } },
          organization_id: { type: 'text' },
        },
      } as never,
    ]);
    const drift = await d.detectManagedDrift();
    const of = (column: string) => drift.find((e) => e.column === column);
    expect(of('organization_id')).toMatchObject({
      kind: 'nullability_mismatch',
      category: 'needs_confirm',
      op: { type: 'relax_not_null' },
    });
    expect(of('name')).toMatchObject({ category: 'destructive', op: { type: 'tighten_not_null' } });
    expect(of('legacy_code')).toMatchObject({
      kind: 'unmapped_column',
      category: 'destructive',
      actual: 'text',
      op: { type: 'drop_column' },
    });
    const { skipped } = await d.applyMigrationEntries(drift);
    expect(skipped).toEqual([of('legacy_code'), of('name')]);
  });

  it('should relax, tighten and drop columns by rebuilding the table, keeping rows and indexes', async () => {
    const d = kernelDriver();
    await d.execute(
      'CREATE TABLE biz (id TEXT PRIMARY KEY, name TEXT, organization_id TEXT NOT NULL, legacy_code TEXT)',
    );
    await d.execute(
      "INSERT INTO biz (id, name, organization_id, legacy_code) VALUES ('1', 'Acme', 'org1', 'x')",
    );
    const biz = {
      name: 'biz',
      fields: {
        name: { type: 'text', storage: { notNull: true }, unique: 'global' },
        organization_id: { type: 'text' },
      },
    };
    await d.initObjects([biz as never]);
    const drift = await d.detectManagedDrift();

    // needs_confirm runs without allowDestructive; the destructive ones wait.
    const first = await d.applyMigrationEntries(drift);
    expect(first.applied.map((e) => e.op.type)).toEqual(['relax_not_null']);
    const notNull = async () =>
      Object.fromEntries(
        (await sql(d, 'SELECT name, "notnull" FROM pragma_table_info(\'biz\')')).map((r) => [
          r.name,
          r.notnull,
        ]),
      );
    expect((await notNull()).organization_id).toBe(0);

    const second = await d.applyMigrationEntries(drift, { allowDestructive: true });
    expect(second.skipped).toEqual([]);
    expect(await notNull()).toMatchObject({ name: 1, organization_id: 0 });
    expect(await notNull()).not.toHaveProperty('legacy_code');
    expect(await d.find('biz', {})).toEqual([expect.objectContaining({ id: '1', name: 'Acme' })]);
    expect(Object.keys(await indexes(d, 'biz'))).toContain('uniq_biz_name');
    expect(await d.detectManagedDrift()).toEqual([]);
  });

  it('should skip making a column NOT NULL while rows hold NULL in it, changing nothing', async () => {
    const d = kernelDriver();
    await d.initObjects([{ name: 'note', fields: { body: { type: 'text' } } } as never]);
    await d.create('note', { body: null });
    const drift = await d.detectManagedDrift([
      { name: 'note', fields: { body: { type: 'text', storage: { notNull: true } } } } as never,
    ]);
    const result = await d.applyMigrationEntries(drift, { allowDestructive: true });
    expect(result.skipped.map((e) => e.op.type)).toEqual(['tighten_not_null']);
    expect(await d.count('note', {})).toBe(1);
  });

  describe('and a DEFAULT an older build wrote from a runtime token', () => {
    const ZOO = {
      name: 'zoo',
      fields: {
        owner: { type: 'user', reference: 'sys_user', defaultValue: 'current_user' },
        status: { type: 'text', defaultValue: 'open' },
      },
    };
    const preFix = async (d: TursoDriver) => {
      await d.execute(
        "CREATE TABLE zoo (id TEXT PRIMARY KEY, owner TEXT DEFAULT 'current_user', status TEXT DEFAULT 'open')",
      );
      await d.execute("INSERT INTO zoo (id) VALUES ('old')");
    };
    const defaults = async (d: TursoDriver) =>
      Object.fromEntries(
        (await sql(d, "SELECT name, dflt_value FROM pragma_table_info('zoo')")).map((r) => [
          r.name,
          r.dflt_value,
        ]),
      );

    it('should report it as a safe drop_column_default and drop only it', async () => {
      const d = kernelDriver();
      await preFix(d);
      await d.initObjects([ZOO as never]);
      const drift = await d.detectManagedDrift();
      expect(drift).toEqual([
        expect.objectContaining({
          kind: 'default_mismatch',
          column: 'owner',
          category: 'safe',
          op: { type: 'drop_column_default', table: 'zoo', column: 'owner' },
        }),
      ]);
      expect((await d.applyMigrationEntries(drift)).applied).toHaveLength(1);
      expect(await defaults(d)).toMatchObject({ owner: null, status: "'open'" });
      // Rows keep what they hold.
      expect((await sql(d, "SELECT owner FROM zoo WHERE id = 'old'"))[0].owner).toBe('current_user');
    });

    it("should drop it at sync under autoMigrate: 'safe'", async () => {
      const d = kernelDriver({ autoMigrate: 'safe' });
      await preFix(d);
      await d.initObjects([ZOO as never]);
      expect((await defaults(d)).owner).toBeNull();
      expect(await d.detectManagedDrift()).toEqual([]);
      await d.create('zoo', { id: 'new' });
      expect((await sql(d, "SELECT owner FROM zoo WHERE id = 'new'"))[0].owner).toBeNull();
    });
  });

  it('should refuse entries that are not drift entries, with nothing applied', async () => {
    const d = kernelDriver();
    await d.initObjects([PRODUCT as never]);
    await expect(d.applyMigrationEntries([{ nope: true }] as never)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/entry 0/),
    });
    await expect(d.applyMigrationEntries('x' as never)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('should refuse to migrate a database whose schema it does not own', async () => {
    const d = kernelDriver({ schemaMode: 'external' });
    await expect(d.applyMigrationEntries([])).rejects.toMatchObject({
      code: 'EXTERNAL_SCHEMA_MODE_VIOLATION',
    });
  });
});

describe('given deferred DDL', () => {
  const WIDGET = { name: 'widgets', fields: { sku: { type: 'text' }, qty: { type: 'number' } } };
  const tableExists = async (d: TursoDriver, name: string) =>
    (await sql(d, `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${name}'`)).length > 0;

  it('should create nothing, preview the work, and run it on flush', async () => {
    const d = kernelDriver();
    d.setDeferredDdl(true);
    await d.initObjects([
      WIDGET as never,
      { name: 'invoices', fields: { no: { type: 'autonumber', format: '{0000}' } } } as never,
    ]);
    expect(d.deferredSchemaObjectCount).toBe(2);
    expect(await tableExists(d, 'widgets')).toBe(false);
    expect(await tableExists(d, '_objectstack_sequences')).toBe(false);

    const planned = [
      { table: 'invoices', kind: 'create_table', columns: ['no'] },
      { table: 'widgets', kind: 'create_table', columns: ['sku', 'qty'] },
    ];
    expect(await d.previewDeferredSchemaWork()).toEqual(planned);
    expect(await d.flushDeferredSchemaDdl()).toEqual(planned);
    expect(d.deferredSchemaObjectCount).toBe(0);
    expect(await tableExists(d, 'widgets')).toBe(true);

    // Disarmed: the next sync runs at once.
    await d.initObjects([{ name: 'gadgets', fields: { label: { type: 'text' } } } as never]);
    expect(await tableExists(d, 'gadgets')).toBe(true);
    expect(await d.flushDeferredSchemaDdl()).toEqual([]);
  });

  it('should preview only missing columns, no formula, and nothing once in step', async () => {
    const d = kernelDriver();
    await d.initObjects([{ name: 'widgets', fields: { sku: { type: 'text' } } } as never]);
    const wider = {
      name: 'widgets',
      fields: { ...WIDGET.fields, total: { type: 'formula', expression: 'qty' } },
    };
    d.setDeferredDdl(true);
    await d.initObjects([wider as never]);
    expect(await d.previewDeferredSchemaWork()).toEqual([
      { table: 'widgets', kind: 'add_columns', columns: ['qty'] },
    ]);
    await d.flushDeferredSchemaDdl();

    d.setDeferredDdl(true);
    await d.initObjects([wider as never]);
    expect(await d.previewDeferredSchemaWork()).toEqual([]);
  });

  it('should count the date-time rows the sync would rewrite, and rewrite them on flush', async () => {
    const d = kernelDriver();
    const evt = { name: 'evt', fields: { at: { type: 'datetime' } } };
    await d.initObjects([evt as never]);
    await d.execute("INSERT INTO evt (id, at) VALUES ('e1', '2026-03-20 13:00:00'), ('e2', 1774008000000)");
    await d.execute("INSERT INTO evt (id, at) VALUES ('e3', '2026-03-20T12:00:00.000Z')");

    d.setDeferredDdl(true);
    await d.initObjects([{ ...evt, fields: { ...evt.fields, note: { type: 'text' } } } as never]);
    expect(await d.previewDeferredSchemaWork()).toEqual([
      { table: 'evt', kind: 'add_columns', columns: ['note'] },
      { table: 'evt', kind: 'normalize_datetime_storage', columns: ['at'], rows: 2 },
    ]);
    // The preview changed nothing.
    expect((await sql(d, "SELECT at FROM evt WHERE id = 'e1'"))[0].at).toBe('2026-03-20 13:00:00');

    await d.flushDeferredSchemaDdl();
    expect((await sql(d, "SELECT at FROM evt WHERE id = 'e1'"))[0].at).toBe('2026-03-20T13:00:00.000Z');
  });

  it('should rewrite on flush what the preview counted, though the definitions did not change', async () => {
    const d = kernelDriver();
    const evt = { name: 'evt', fields: { at: { type: 'datetime' } } };
    await d.initObjects([evt as never]);
    // Written around the driver after its sync: a REAL in the TEXT column ('1774008000000.0').
    await d.execute("INSERT INTO evt (id, at) VALUES ('e1', 1774008000000.0)");

    d.setDeferredDdl(true);
    await d.initObjects([evt as never]);
    expect(await d.previewDeferredSchemaWork()).toEqual([
      { table: 'evt', kind: 'normalize_datetime_storage', columns: ['at'], rows: 1 },
    ]);
    await d.flushDeferredSchemaDdl();
    expect((await sql(d, "SELECT at FROM evt WHERE id = 'e1'"))[0].at).toBe('2026-03-20T12:00:00.000Z');
  });
});
