// Public types of @objectql/driver-turso (native). Hand-written: the generated
// `native.d.ts` describes the internal binding, this file the drop-in API.

/** Error codes this package uses. */
export type ObjectQLErrorCode =
  | 'CONFIG_ERROR'
  | 'INVALID_REQUEST'
  | 'NOT_FOUND'
  | 'QUERY_ERROR'
  | 'DRIVER_ERROR'
  | 'DRIVER_CONNECTION_FAILED'
  /** `contract: 'objectstack'`: a filter refused before any SQL ran (`status` 400). */
  | 'INVALID_FILTER'
  /** `contract: 'objectstack'`: a write repeats a value a unique index holds (`status` 409). */
  | 'UNIQUE_VIOLATION'
  /** `contract: 'objectstack'`: the database refused a statement (`status` 500). */
  | 'DATABASE_ERROR'
  /**
   * `contract: 'objectstack'`: a request the target table cannot serve as given, such as an
   * upsert on conflict keys no unique index backs (`status` 400; `INVALID_REQUEST` in 4.2.2).
   */
  | 'VALIDATION_ERROR'
  /** Schema DDL on a database whose `schemaMode` is not `'managed'` (`status` 403). */
  | 'EXTERNAL_SCHEMA_MODE_VIOLATION'
  /**
   * `TursoPlatformAPI` / `LibsqlAdminAPI`: a create of what exists already (the API's 409,
   * sqld's "Namespace ... already exists"); `ensureDatabase` / `ensureNamespace` never report it.
   */
  | 'ALREADY_EXISTS'
  /** A migration plan made against another schema than the database has now: plan again. */
  | 'SCHEMA_DRIFT'
  /** A migration that would lose or alter data the caller did not choose to; nothing ran. */
  | 'MIGRATION_REFUSED'
  | (string & {});

/**
 * Every error this package throws or rejects with. When `@objectql/types` is installed,
 * errors are instances of that package's `ObjectQLError` instead (same fields).
 */
export declare class ObjectQLError extends Error {
  constructor(init: { code: ObjectQLErrorCode; message: string; details?: unknown });
  readonly name: 'ObjectQLError';
  code: ObjectQLErrorCode;
  details?: unknown;
  /** The HTTP status the ObjectStack kernel answers with, for its codes. */
  status?: number;
  /** What the database itself said, where the message is the driver's reading of it. */
  cause?: unknown;
}

/** Where the driver reports what does not fail a call (default: the console). */
export interface TursoDriverLogger {
  warn(message: string, meta?: unknown): void;
  /** A constraint the definitions ask for is not in force; `warn` is used when absent. */
  error?(message: string, meta?: unknown): void;
  [key: string]: unknown;
}

export interface TursoSyncConfig {
  /** Periodic sync interval in seconds (0 = manual only). Default: 60. */
  intervalSeconds?: number;
  /**
   * Sync on connect. Default: true; while the primary is away that fails `connect()`:
   * `false` opens the replica from its file alone.
   */
  onConnect?: boolean;
}

/** What an embedded replica's `sync()` pulled (the shape of `@libsql/client`'s). */
export interface TursoSyncResult {
  /** The replication frame the replica is at (null before its first frame). */
  frame_no: number | null;
  frames_synced: number;
}

export interface TursoDriverConfig {
  /**
   * `:memory:`, `file:path`, or a libSQL server / Turso Cloud database (`libsql://` and
   * `https://` over TLS, `http://`; `ws://` and `wss://` are reached over HTTP too).
   */
  url: string;
  /**
   * The transport the url must make (the kernel's Turso driver option): here the url
   * decides, and a `mode` that disagrees with it is refused with `CONFIG_ERROR`.
   */
  mode?: 'local' | 'remote' | 'replica';
  /** JWT auth token for a remote database (refused: `DRIVER_CONNECTION_FAILED`). */
  authToken?: string;
  /**
   * Encrypts a `file:` database (or a replica's file) at rest, libSQL's AES-256 cipher.
   * Opening the file without it or with another key fails with `DRIVER_CONNECTION_FAILED`.
   * Refused with `:memory:`; with a server url it has no effect, and `logger` is told once.
   */
  encryptionKey?: string;
  /** Maximum concurrent requests to a remote server. Default: 20. */
  concurrency?: number;
  /**
   * Remote primary of an embedded replica: `url` is then the local `file:` the replica
   * reads; writes go to the primary, and each is synced back before the call resolves.
   * Refused with `:memory:`; with a server url it (and `sync`) has no effect: the server is
   * served, and `logger` is told once.
   */
  syncUrl?: string;
  sync?: TursoSyncConfig;
  /** Called with each failed periodic sync (default: one process warning). */
  onSyncError?: (error: ObjectQLError) => void;
  /**
   * Which driver contract to serve. `'objectql'` (default): the ObjectQL 4.2.2 API, for
   * direct callers. `'objectstack'`: the shapes the ObjectStack kernel expects (`delete`
   * resolves to a boolean, `update` to the row or `null`, `updateMany`/`deleteMany` to a
   * number, `bulkCreate`/`bulkUpdate` to the rows, `execute` to the rows of a query,
   * errors in the kernel's codes, sorted and paged reads ordered by `id` last, tables with
   * `created_at`/`updated_at`, the spec's field types). `TursoDriverPlugin` sets it.
   */
  contract?: 'objectql' | 'objectstack';
  /**
   * Operation timeout in milliseconds. For local databases this is how long a write waits
   * (asynchronously) for another connection's transaction to release the lock. Default: 5000.
   * For a remote database, how long one call may take, connecting and waiting for one of
   * the `concurrency` slots included, before it rejects with `DRIVER_CONNECTION_FAILED`.
   * Default: 30000.
   */
  timeout?: number;
  /**
   * The journal of a `file:` database (a property of the file, applied at connect).
   * `'wal'` (default): readers and the writer, in this or another process, do not wait for
   * each other. `'delete'`: a rollback journal, for filesystems that cannot host WAL
   * (NFS, SMB); a file already in WAL is converted back. Without the option the
   * `OS_DATABASE_SQLITE_JOURNAL_MODE` environment variable decides (an unknown value there
   * is reported and WAL kept). A file that refuses the mode is reported, not failed.
   */
  sqliteJournalMode?: 'wal' | 'delete';
  /**
   * Opening a `file:` database that does not exist: `'create'` (default) makes the file
   * and its missing directories; `'empty-in-memory'` makes nothing on disk and opens an
   * empty in-memory database instead (`sqliteOpenedEmptyInMemory` then reads true).
   */
  sqliteAbsentFile?: 'create' | 'empty-in-memory';
  /**
   * Whether the driver owns the database's schema. `'managed'` (default): schema sync
   * creates and alters. `'external'` / `'validate-only'`: every DDL entry point
   * (`init`/`initObjects`/`syncSchema`/`syncSchemasBatch`/`dropTable`) rejects with
   * `EXTERNAL_SCHEMA_MODE_VIOLATION` (the kernel's `ExternalSchemaModeViolationError` when
   * `@objectstack/spec` is installed); `registerExternalObject` still works.
   */
  schemaMode?: 'managed' | 'external' | 'validate-only';
  /**
   * The page cache of each connection to a database file, in KiB (a whole number from 1 to
   * 1073741824; otherwise CONFIG_ERROR). Default 32768 (32 MiB): a bound, not an
   * allocation, reached only as pages are read. A process holding thousands of tenant
   * databases open bounds their memory with a small one (e.g. 64).
   */
  cacheSizeKiB?: number;
  /**
   * What schema sync may change beyond adding. `'off'` (default): tables, columns and
   * indexes that are missing are created, nothing is dropped or rebuilt, and an index that
   * differs from its definition is reported to the `logger` as `[schema-drift]`. `'safe'`
   * (development): also retires a legacy all-tenant unique index once its per-tenant
   * replacement stands, and rebuilds a per-tenant unique index NULL-safe when no rows
   * collide. Ignored (off) when `NODE_ENV` is `production`.
   */
  autoMigrate?: 'off' | 'safe' | boolean;
  /**
   * Where warnings and diagnostics go (also settable later as `driver.logger`); default the
   * console. Under `contract: 'objectstack'` also the full text of a filter refusal whose
   * field, operator and value names were withheld from the caller.
   */
  logger?: TursoDriverLogger;
}

export type Filter = Record<string, unknown> | unknown[];
export type SortDirection = 'asc' | 'desc';
export type SortSpec =
  | Array<
      [string, SortDirection?] | string | { field: string; direction?: SortDirection; order?: SortDirection }
    >
  | Record<string, 1 | -1 | SortDirection>
  | string;

/** The query of `find`: every spelling the ObjectQL drivers accept. */
/** What `analyzeQuery` (and, under the kernel contract, `explain`) answers. */
export interface QueryAnalysis {
  sql: string;
  bindings: unknown[];
  /** The SQL dialect, as knex names it: `'better-sqlite3'`. */
  client: string;
  /** SQLite's EXPLAIN QUERY PLAN rows (`id`, `parent`, `notused`, `detail`). */
  plan?: DataRecord[];
  /** Why SQLite could not plan the statement (then `note` says so and there is no `plan`). */
  error?: string;
  note?: string;
}

/** One ranking window function of `findWithWindowFunctions`. */
export interface WindowFunctionSpec {
  function: 'ROW_NUMBER' | 'RANK' | 'DENSE_RANK' | 'PERCENT_RANK' | 'CUME_DIST' | string;
  /** The name of the column it adds to each row. */
  alias: string;
  partitionBy?: string[];
  orderBy?: Array<{ field: string; order?: 'asc' | 'desc' }>;
}

export interface FindQuery {
  filters?: Filter;
  where?: Filter;
  filter?: Filter;
  sort?: SortSpec;
  orderBy?: SortSpec;
  fields?: string[];
  limit?: number;
  top?: number;
  pageSize?: number;
  offset?: number;
  skip?: number;
  [key: string]: unknown;
}

/** A transaction handle from `beginTransaction()`; pass it as `options.transaction`. */
export declare class TursoTransaction {
  private constructor();
  readonly id: number;
}

export interface DriverOptions {
  transaction?: TursoTransaction | unknown;
  /**
   * The tenant the call runs for (the ObjectStack engine passes it): reads, counts,
   * aggregates, updates and deletes see only rows of this tenant or of none, on objects
   * with a tenant field (`tenancy.tenantField`, else `organization_id`); inserts get it
   * stamped. Without it nothing is scoped. A tenant field in a write's data is written as
   * given (as in the kernel's SQL driver): an update that names another tenant moves the
   * row there, and then answers as for a row the tenant cannot see. Raw `execute` is never
   * scoped.
   */
  tenantId?: string | number;
  /** The `group` tenancy posture: the tenants whose rows the call sees (with `tenantId`). */
  tenantIds?: string[];
  /** Keep an `updated_at` the caller supplies instead of stamping the current time. */
  preserveAudit?: boolean;
  /** IANA time zone of the caller: what "today" is for autonumber date tokens. */
  timezone?: string;
  [key: string]: unknown;
}

export type DataRecord = Record<string, unknown>;

export interface FieldDef {
  type?: string;
  required?: boolean;
  defaultValue?: unknown;
  [key: string]: unknown;
}

export interface ObjectSchema {
  name: string;
  fields?: Record<string, FieldDef>;
  [key: string]: unknown;
}

export interface IntrospectedColumn {
  name: string;
  type: string;
  nullable: boolean;
  defaultValue?: unknown;
  /** 4.2.2 shape. */
  isPrimary?: boolean;
  /** `contract: 'objectstack'` (the spec's shape). */
  primaryKey?: boolean;
  /** `contract: 'objectstack'`: the column alone is a unique key. */
  isUnique?: boolean;
}

export interface IntrospectedForeignKey {
  columnName: string;
  referencedTable: string;
  referencedColumn: string;
}

export interface IntrospectedTable {
  name: string;
  columns: IntrospectedColumn[];
  foreignKeys: IntrospectedForeignKey[];
  primaryKeys: string[];
}

export interface IntrospectedSchema {
  tables: Record<string, IntrospectedTable>;
  /** `contract: 'objectstack'`: `'sqlite'`. */
  dialect?: string;
  /** `contract: 'objectstack'`: when, as ISO text. */
  introspectedAt?: string;
}

export interface ExecuteResult {
  rows: DataRecord[];
  columns: string[];
  rowsAffected: number;
  lastInsertRowid: number | bigint | undefined;
}

export interface AffectedResult {
  affected: number;
  modifiedCount?: number;
  deletedCount?: number;
}

export interface AggregateQuery {
  groupBy?: Array<
    | string
    | { field: string; alias?: string; dateGranularity?: 'day' | 'week' | 'month' | 'quarter' | 'year' }
  >;
  aggregates?: Record<string, string>;
  /** The kernel's form: `count`, `sum`, `avg`, `min`, `max`, `count_distinct` (case-sensitive there). */
  aggregations?: Array<{ function: string; field?: string; alias: string; filter?: Filter }>;
  filters?: Filter;
  where?: Filter;
  pipeline?: Array<Record<string, unknown>>;
}

export interface DriverCapabilities {
  [capability: string]: boolean;
}

export interface CommandResult {
  success: boolean;
  data?: unknown;
  affected: number;
}

/** The former name of `TursoDriverLogger`. */
/** How dangerous reconciling a drift entry is: `destructive` runs only with `allowDestructive`. */
export type DriftCategory = 'safe' | 'needs_confirm' | 'destructive';

/** The reconcile op of a drift entry (the kernel's `DriftOp`). */
export type DriftOp =
  | {
      type: 'relax_not_null' | 'tighten_not_null' | 'drop_column' | 'drop_column_default';
      table: string;
      column: string;
    }
  | {
      type: 'replace_unique_index';
      table: string;
      column?: string;
      dropIndexNames: string[];
      createIndexName: string;
      createColumns: string[];
      nullSafeColumns?: string[];
    }
  | {
      type: 'create_index' | 'recreate_index';
      table: string;
      column?: string;
      indexName: string;
      columns: string[];
      unique: boolean;
      nullSafeColumns?: string[];
      tightenNullSafeOnly?: boolean;
    }
  | { type: 'drop_index'; table: string; column?: string; indexName: string };

/** One difference between a managed table and its definition (the kernel's `ManagedDriftEntry`). */
export interface ManagedDriftEntry {
  kind: 'nullability_mismatch' | 'unmapped_column' | 'index_mismatch' | 'unmapped_index' | string;
  remoteName: string;
  table: string;
  column?: string;
  expected?: string;
  actual?: string;
  severity: 'warning' | 'error';
  category: DriftCategory;
  op: DriftOp;
  /** What differs, and the remedy. */
  message: string;
}

/** One step a deferred schema sync holds back (the kernel's `PendingSchemaWork`). */
export interface PendingSchemaWork {
  table: string;
  kind: 'create_table' | 'add_columns' | 'normalize_datetime_storage' | 'normalize_time_storage';
  columns: string[];
  /** Rows a normalisation step rewrites. */
  rows?: number;
}

export type DriverLogger = TursoDriverLogger;

export declare class TursoDriver {
  constructor(config: TursoDriverConfig);
  readonly name: 'TursoDriver';
  readonly version: string;
  readonly supports: DriverCapabilities;
  /**
   * The connection's description, plus `client`: the SQL dialect name the kernel reads
   * (without `schemaMode`, `autoMigrate`, `sqliteJournalMode`, `sqliteAbsentFile`, `logger`).
   */
  readonly config: TursoDriverConfig & { client: string };
  /** Where warnings go: the `logger` option, else the console. */
  logger: TursoDriverLogger;
  /** Whether `sqliteAbsentFile: 'empty-in-memory'` found no file and opened memory instead. */
  readonly sqliteOpenedEmptyInMemory: boolean;
  /** How statements reach the database: a libSQL server, an embedded replica, or in process. */
  readonly transportMode: 'local' | 'remote' | 'replica';
  /** `transportMode === 'remote'`: statements go to a libSQL server. */
  readonly isRemote: boolean;
  /** No table is sharded by time: `rotateShards` has nothing to do. */
  readonly supportsRotation: false;
  /** Whether this is an embedded replica (`syncUrl`). */
  isSyncEnabled(): boolean;
  /** The configuration the driver was made with. */
  getTursoConfig(): TursoDriverConfig;

  connect(): Promise<void>;
  disconnect(): Promise<void>;
  checkHealth(): Promise<boolean>;
  /** An embedded replica's sync; resolves to undefined for other databases. */
  sync(): Promise<TursoSyncResult | undefined>;
  getPoolStats(): undefined;

  init(objects: ObjectSchema[]): Promise<void>;
  syncSchema(objects: ObjectSchema[], options?: DriverOptions): Promise<void>;
  /** The kernel's form: one object, named by `objectName`. */
  syncSchema(objectName: string, schema: ObjectSchema): Promise<void>;
  /** The kernel's batch form, all objects in one transaction. */
  syncSchemasBatch(batch: Array<{ object: string; schema: ObjectSchema }>): Promise<void>;
  /** The kernel's name for `init`. */
  initObjects(objects: ObjectSchema[]): Promise<void>;
  /** Learns definitions without touching the database (a boot that skips schema sync). */
  registerObjectMetadata(objects: ObjectSchema[]): Promise<void>;
  /** Learns an object whose table the driver does not manage (`external.remoteName`). */
  registerExternalObject(schema: ObjectSchema): Promise<void>;
  /** Tables schema sync created since the driver was made, and ones it found. */
  getSchemaSyncStats(): { created: number; existing: number };
  /** Frees deleted rows' pages where the file allows it, and refreshes statistics. */
  reclaimSpace(): Promise<void>;
  rotateShards(objectDef?: unknown, nowMs?: number): Promise<{ created: string[]; dropped: string[] }>;
  dropTable(objectName: string, options?: DriverOptions): Promise<void>;
  /** Arms (or disarms) the deferral of schema sync's DDL (`os migrate plan` / `apply`). */
  setDeferredDdl(deferred: boolean): void;
  /** How many objects are waiting for `flushDeferredSchemaDdl()`. */
  readonly deferredSchemaObjectCount: number;
  /** What the deferred sync would do. */
  previewDeferredSchemaWork(): Promise<PendingSchemaWork[]>;
  /** Runs the deferred sync, disarms the deferral, and resolves with what was pending. */
  flushDeferredSchemaDdl(): Promise<PendingSchemaWork[]>;
  /** Differences between the definitions (`objects`, else the ones synced) and the database. */
  detectManagedDrift(objects?: ObjectSchema[]): Promise<ManagedDriftEntry[]>;
  /** Applies drift entries; destructive ones only with `allowDestructive`. */
  applyMigrationEntries(
    entries: ManagedDriftEntry[],
    options?: { allowDestructive?: boolean },
  ): Promise<{ applied: ManagedDriftEntry[]; skipped: ManagedDriftEntry[] }>;
  /**
   * Every table. With `contract: 'objectstack'` columns are in the spec's shape
   * (`primaryKey`, `isUnique`) and the result carries `dialect` and `introspectedAt`.
   */
  introspectSchema(): Promise<IntrospectedSchema>;
  /** The plan that brings the database to `objects`, with its counts (see `MigrationPlan`). */
  planMigration(objects: readonly ObjectSchema[], options?: MigrationOptions): Promise<MigrationPlan>;
  /**
   * Applies a plan in one transaction. Refused, nothing applied: `MIGRATION_REFUSED` when it
   * is blocked or its data checks fail now, `SCHEMA_DRIFT` when the schema changed since.
   */
  applyMigrationPlan(plan: MigrationPlan): Promise<MigrationResult>;
  /** See the `executeMigrations` function. */
  executeMigrations(statements: string[]): Promise<MigrationResult>;
  /** SHA-256 of the schema now (tables, indexes, triggers, views; not rows). */
  schemaFingerprint(): Promise<string>;

  find(objectName: string, query?: FindQuery, options?: DriverOptions): Promise<DataRecord[]>;
  findOne(
    objectName: string,
    id: string | number,
    query?: FindQuery,
    options?: DriverOptions,
  ): Promise<DataRecord | null>;
  /** The kernel's form: the first row matching `query` (its `where`, `orderBy`, ...). */
  findOne(objectName: string, query: FindQuery, options?: DriverOptions): Promise<DataRecord | null>;
  create(objectName: string, data: DataRecord, options?: DriverOptions): Promise<DataRecord>;
  update(
    objectName: string,
    id: string | number,
    data: DataRecord,
    options?: DriverOptions,
  ): Promise<DataRecord>;
  delete(objectName: string, id: string | number, options?: DriverOptions): Promise<{ deleted: boolean }>;
  count(objectName: string, filters?: Filter, options?: DriverOptions): Promise<number>;
  upsert(objectName: string, data: DataRecord, options?: DriverOptions): Promise<DataRecord>;
  /** The kernel's form: insert, or update the row that conflicts on `conflictKeys`. */
  upsert(
    objectName: string,
    data: DataRecord,
    conflictKeys: string[],
    options?: DriverOptions,
  ): Promise<DataRecord | null>;

  bulkCreate(objectName: string, records: DataRecord[], options?: DriverOptions): Promise<number | []>;
  bulkUpdate(
    objectName: string,
    updates: Array<{ id: string | number; data: DataRecord }>,
    options?: DriverOptions,
  ): Promise<number | []>;
  bulkDelete(objectName: string, ids: Array<string | number>, options?: DriverOptions): Promise<number | []>;
  updateMany(
    objectName: string,
    filters: Filter,
    data: DataRecord,
    options?: DriverOptions,
  ): Promise<AffectedResult>;
  deleteMany(objectName: string, filters: Filter, options?: DriverOptions): Promise<AffectedResult>;

  distinct(objectName: string, field: string, filters?: Filter, options?: DriverOptions): Promise<unknown[]>;
  aggregate(
    objectName: string,
    query: AggregateQuery | Array<Record<string, unknown>>,
    options?: DriverOptions,
  ): Promise<DataRecord[]>;
  /**
   * How `find(objectName, query)` would run: the rows of SQLite's EXPLAIN QUERY PLAN. Under
   * `contract: 'objectstack'` it answers as the kernel's SqlDriver does, with
   * `analyzeQuery`'s {@link QueryAnalysis}.
   */
  explain(objectName: string, query: FindQuery, options?: DriverOptions): Promise<DataRecord[]>;
  /** The statement `find` would run for `query`, its arguments, and SQLite's plan for it. */
  analyzeQuery(objectName: string, query: FindQuery, options?: DriverOptions): Promise<QueryAnalysis>;
  /** A find whose rows also carry ranking window functions, each under its `alias`. */
  findWithWindowFunctions(
    objectName: string,
    query: FindQuery & { windowFunctions?: WindowFunctionSpec[] },
    options?: DriverOptions,
  ): Promise<DataRecord[]>;
  /** A comparand for raw SQL against `field`: a date, date-time or time in its stored form. */
  temporalFilterValue(objectName: string, field: string, value: unknown): unknown;
  /** What raw SQL should compare for `columnSql` (a reference to `field`). */
  temporalFilterColumnSql(objectName: string, field: string, columnSql: string): string;

  /**
   * Raw SQL. 4.2.2 shape: `{ rows, columns, rowsAffected, lastInsertRowid }`; with
   * `contract: 'objectstack'`, what the kernel's knex returns: the rows of a query, else
   * `{ changes, lastInsertRowid }`.
   *
   * Not tenant-scoped: `options.tenantId` adds no condition to the SQL and stamps nothing,
   * as in the kernel's SQL driver. Bind the tenant in the statement yourself
   * (`WHERE organization_id = ?`), or keep raw SQL to global tables and schema reads.
   */
  execute(
    command: string | { sql: string; args?: unknown[] },
    parameters?: unknown[],
    options?: DriverOptions,
  ): Promise<ExecuteResult>;
  executeQuery(
    ast: FindQuery & { object?: string; from?: string },
    options?: DriverOptions,
  ): Promise<{ value: DataRecord[]; count?: number }>;
  executeCommand(
    command: {
      type: string;
      object: string;
      id?: string | number;
      data?: DataRecord;
      records?: DataRecord[];
      updates?: Array<{ id: string | number; data: DataRecord }>;
      ids?: Array<string | number>;
    },
    options?: DriverOptions,
  ): Promise<CommandResult>;

  beginTransaction(): Promise<TursoTransaction>;
  commit(transaction: TursoTransaction): Promise<void>;
  rollback(transaction: TursoTransaction): Promise<void>;
  commitTransaction(transaction: TursoTransaction): Promise<void>;
  rollbackTransaction(transaction: TursoTransaction): Promise<void>;
}

export declare function createTursoDriver(config: TursoDriverConfig): TursoDriver;

// ---------------------------------------------------------------------------------------
// Query compiler helpers
// ---------------------------------------------------------------------------------------

export interface CompiledQuery {
  sql: string;
  args: unknown[];
}

export interface SelectQueryOptions {
  objectName: string;
  fields?: string[];
  where?: CompiledQuery;
  orderBy?: Array<{ field: string; direction?: SortDirection }>;
  limit?: number;
  offset?: number;
}

export declare function compileFilter(filters: unknown): CompiledQuery;
export declare function compileSelect(options: SelectQueryOptions): CompiledQuery;
export declare function parseSort(sort: unknown): Array<{ field: string; direction: SortDirection }>;
export declare function quoteIdentifier(name: string): string;

// ---------------------------------------------------------------------------------------
// Type and result mappers
// ---------------------------------------------------------------------------------------

export type FieldSet = ReadonlySet<string> | readonly string[];

export declare function fieldTypeToSqlite(fieldType: string): 'TEXT' | 'INTEGER' | 'REAL' | 'BLOB';
export declare function isJsonFieldType(fieldType: string): boolean;
export declare function isBooleanFieldType(fieldType: string): boolean;
export declare function mapRow(row: DataRecord, jsonFields?: FieldSet, booleanFields?: FieldSet): DataRecord;
export declare function mapRows(
  rows: DataRecord[],
  jsonFields?: FieldSet,
  booleanFields?: FieldSet,
): DataRecord[];
export declare function serializeValue(
  value: unknown,
  fieldName: string,
  jsonFields?: FieldSet,
  booleanFields?: FieldSet,
): unknown;
export declare function serializeRecord(
  data: DataRecord,
  jsonFields?: FieldSet,
  booleanFields?: FieldSet,
): DataRecord;

// ---------------------------------------------------------------------------------------
// Schema diff engine
// ---------------------------------------------------------------------------------------

export interface ColumnDef {
  name: string;
  /** SQLite type name: TEXT, INTEGER, REAL, BLOB (or e.g. VARCHAR(255) in a hand-written diff). */
  sqlType: string;
  notNull?: boolean;
  /** The field's defaultValue as given; escaped when it becomes SQL. */
  defaultValue?: string | number | boolean | object | null;
  isPrimary?: boolean;
}

export type SchemaDiffAction =
  | { type: 'create_table'; table: string; columns: ColumnDef[] }
  | { type: 'add_column'; table: string; column: ColumnDef }
  | { type: 'drop_table'; table: string }
  /** The column's type affinity changes (`TEXT` vs `VARCHAR(9)` is no change); counts when planned against the database. */
  | {
      type: 'change_column_type';
      table: string;
      column: string;
      from: string;
      to: string;
      rows?: number;
      unconvertible?: number;
    }
  /** A column no field declares; `values`: its non-NULL values (destructive). */
  | { type: 'drop_column'; table: string; column: string; values?: number }
  /** `NOT NULL` added (`nulls`: rows that are NULL now) or removed. */
  | { type: 'set_not_null'; table: string; column: string; notNull: boolean; nulls?: number }
  /** The DEFAULT expression, as SQL (`null`: none). */
  | { type: 'change_default'; table: string; column: string; from: string | null; to: string | null }
  | { type: 'create_index'; table: string; name: string; unique: boolean }
  /** Destructive when unique (a constraint is lost). */
  | { type: 'drop_index'; table: string; name: string; unique: boolean };

export interface SchemaDiff {
  /** Ordered: per desired object create_table or add_column, then drop_table. */
  actions: SchemaDiffAction[];
  /** One human line per action, or one line saying the schema is up to date. */
  summary: string[];
}

export interface SchemaMigration {
  /** Forward statements, one per action. */
  up: string[];
  /** Reverse statements, one per action; a `--` comment where it cannot be undone. */
  down: string[];
  summary: string[];
  /** `TursoDriverPlugin.generateMigration`: the plan the statements come from. */
  plan?: MigrationPlan;
}

export interface MigrationOptions {
  /** Drop tables, columns and unique indexes nothing asks for. Default false: listed, skipped. */
  allowDestructive?: boolean;
  /**
   * Table-name prefixes never dropped or rebuilt (a trailing `*` is allowed). Default
   * `['sys_', '_objectstack_']`; `sqlite_` and the driver's `_objectql_` always are.
   */
  protectedTables?: string[];
  /**
   * A value a type change cannot convert exactly: `'abort'` (default) refuses the apply,
   * `'null'` stores NULL, `'keep'` keeps the value as it is.
   */
  unconvertible?: 'abort' | 'null' | 'keep';
  /** `'database'` (default): tables no object names are planned for dropping; `'objects'`: only the objects' tables. */
  scope?: 'database' | 'objects';
}

export interface MigrationPlan {
  /** SHA-256 of the schema the plan was made against: applying it elsewhere is refused (`SCHEMA_DRIFT`). */
  fingerprint: string;
  options: Required<MigrationOptions>;
  actions: SchemaDiffAction[];
  /** One line a person can act on per action (`task.priority: TEXT → INTEGER, 10,000 rows, 3 values will not convert`). */
  summary: string[];
  /** What applying runs, in order, in one transaction (tables are rebuilt by SQLite's 12-step procedure). */
  statements: string[];
  /** What each destructive action destroys. */
  destructive: string[];
  /** The `change_column_type` actions, without their `type`. */
  conversions: Array<Omit<Extract<SchemaDiffAction, { type: 'change_column_type' }>, 'type'>>;
  /** Why applying it as is would be refused (`MIGRATION_REFUSED`); empty when it can be applied. */
  blocked: string[];
  /** Actions left out of the statements, and why (destructive without `allowDestructive`). */
  skipped: string[];
}

export interface MigrationResult {
  /** Statements applied. */
  applied: number;
  /** One line per statement: `[i/n] statement (ms)`. */
  logs: string[];
  /** Milliseconds. */
  duration: number;
  /** The schema's fingerprint afterwards. */
  fingerprint: string;
}

/**
 * Runs `statements` on `driver`'s database in one transaction, all or none, with foreign
 * keys off outside it (a rebuilt parent deletes no child row) and `PRAGMA
 * foreign_key_check` before it commits. On failure the error names the statement and its
 * position, and nothing is applied.
 */
export declare function executeMigrations(
  driver: TursoDriver,
  statements: string[],
): Promise<MigrationResult>;

export interface DiffSchemaOptions {
  /** Table-name prefixes never dropped (a trailing `*` is allowed); `sqlite_` always is. */
  systemTables?: string[];
  /** Also report columns no field declares (`drop_column`). */
  allowDestructive?: boolean;
}

export declare function diffSchema(
  desired: readonly ObjectSchema[],
  live: IntrospectedSchema,
  options?: DiffSchemaOptions,
): SchemaDiff;
export declare function generateMigration(diff: SchemaDiff): SchemaMigration;

// ---------------------------------------------------------------------------------------
// Multi-tenant router: one database per tenant
// ---------------------------------------------------------------------------------------

/** Why a tenant's database left the router's cache. */
export type TenantEvictionReason = 'ttl' | 'capacity' | 'invalidate' | 'destroy';

export interface MultiTenantConfig {
  /**
   * Where each tenant's database is; every `{tenant}` is replaced by the tenant id, e.g.
   * `'file:./data/{tenant}.db'` or `'libsql://{tenant}-myorg.turso.io'`.
   */
  urlTemplate: string;
  /** Every tenant driver's `authToken` (a group token); wins over the overrides' `authToken`. */
  groupAuthToken?: string;
  /** Closes a tenant's database after this many ms without a `getDriverForTenant`. Default 300000. */
  clientCacheTTL?: number;
  /** Open tenant databases at most (least recently used idle ones are closed). Default 100. */
  maxCachedTenants?: number;
  /** Tenant databases being opened at once; more wait their turn. Default 8. */
  maxConcurrentCreates?: number;
  /** A tenant whose creation failed rejects with that error for this many ms. Default 5000; 0 retries at once. */
  failureCacheTTL?: number;
  /** Awaited before a new tenant's database is opened; a rejection fails the call and caches nothing. */
  onTenantCreate?: (tenantId: string) => void | Promise<unknown>;
  /** Called when a tenant's database leaves the cache; failures go to `onError`. */
  onTenantDelete?: (tenantId: string) => void | Promise<void>;
  /** Like `onTenantDelete`, with the reason; called first. */
  onTenantEvict?: (tenantId: string, reason: TenantEvictionReason) => void | Promise<void>;
  /** Failures the router swallows (a callback that threw, a close that failed). */
  onError?: (error: unknown, where: { tenantId: string; hook: string }) => void;
  /** Options of every tenant driver but `url`; `{tenant}` is replaced in `syncUrl` too. */
  driverConfigOverrides?: Omit<Partial<TursoDriverConfig>, 'url'>;
}

export interface MultiTenantRouter {
  /**
   * A connected driver for the tenant (id: 2-64 letters, digits, `-`, `_`; otherwise
   * INVALID_REQUEST). A driver the router closed (idle, TTL, capacity) stays usable: its
   * next call reopens it inside the router's budget.
   */
  getDriverForTenant(tenantId: string): Promise<TursoDriver>;
  /** Closes the tenant's database in the background; an unknown id is a no-op. */
  invalidateCache(tenantId: string): void;
  /** Closes every tenant database; the router stays usable (a later call reopens). */
  destroyAll(): Promise<void>;
  /** Tenants whose databases are open. */
  getCacheSize(): number;
  /** Brings every tenant database to `objects`: open ones now, the others at their next open. */
  syncSchema(objects: ObjectSchema[]): Promise<void>;
}

export declare function createMultiTenantRouter(config: MultiTenantConfig): MultiTenantRouter;

export interface ProcessLimits {
  /** The soft limit of open file descriptors (`ulimit -n`). */
  maxOpenFiles: number;
  /** Descriptors open now. */
  openFiles: number;
}

/** The process's file descriptor limit and use, or null where the OS does not say (outside Linux). */
export declare function processLimits(): ProcessLimits | null;

/**
 * Sets SQLite's process-wide soft heap limit in bytes (0: none; a whole number, otherwise
 * INVALID_REQUEST) and returns the previous one. Past it, page caches recycle their pages
 * instead of growing. Call it before the first database opens: SQLite enforces it only
 * when it counts its memory, decided as it starts (later: CONFIG_ERROR).
 */
export declare function setSoftHeapLimit(bytes: number): number;

// ---------------------------------------------------------------------------------------
// Provisioning
// ---------------------------------------------------------------------------------------

/**
 * Timeout and retries of a provisioning client. Idempotent calls (GET, DELETE, and the
 * creates of `ensureDatabase` / `ensureNamespace`) are retried on 429 and transient 5xx with
 * exponential backoff and jitter, honouring `Retry-After`; other POSTs are never retried
 * after an answer. A refused connection (nothing was sent) is retried for every call.
 */
export interface ProvisioningHttpOptions {
  /** The whole call, retries and waits included, in ms. Default 30000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3; 0 disables retries. */
  maxRetries?: number;
  /** The first backoff wait before jitter, doubled per retry, in ms. Default 250. */
  retryBaseMs?: number;
}

export interface TursoPlatformConfig extends ProvisioningHttpOptions {
  /** Turso organization slug (e.g. `'my-org'`). */
  orgSlug: string;
  /** Platform API token (`turso auth api-tokens mint`). Never appears in an error message. */
  apiToken: string;
  /** API base URL; default `'https://api.turso.tech'`; trailing slashes are trimmed. */
  baseUrl?: string;
}

/** Result of creating a database (4.2.2's `{ hostname, name }`, with the API's `id`). */
export interface CreateDatabaseResult {
  /** e.g. `'tenant-acme-my-org.turso.io'`. */
  hostname: string;
  name: string;
  /** The API's `DbId`. */
  id?: string;
  /** The group it was created in, when known. */
  group?: string;
}

/** A database as the list and get endpoints describe it. */
export interface DatabaseInfo extends CreateDatabaseResult {
  is_schema?: boolean;
  /** The parent schema database of a child database. */
  schema?: string;
  regions?: string[];
  primaryRegion?: string;
  version?: string;
  sleeping?: boolean;
  archived?: boolean;
  allow_attach?: boolean;
  block_reads?: boolean;
  block_writes?: boolean;
}

/** `ensureDatabase`'s answer: the database, and whether this call created it. */
export interface EnsuredDatabase extends DatabaseInfo {
  created: boolean;
}

export interface DatabaseSeed {
  /** Copy another database (`name`) or load a dump (`url`). */
  type: 'database' | 'dump';
  name?: string;
  url?: string;
  /** A point in time of the seed database (RFC 3339). */
  timestamp?: string;
}

export interface CreateDatabaseOptions {
  /** The group the database is created in (it must exist). */
  group?: string;
  seed?: DatabaseSeed;
  /** The parent schema database this database follows (Multi-DB Schemas). */
  schema?: string;
  /** This database is a parent schema database. */
  is_schema?: boolean;
  /** e.g. `'1gb'`, `'256mb'`, or bytes. */
  size_limit?: string;
}

export interface CreateTokenOptions {
  /** e.g. `'2w'`, `'1d'`, `'never'`. */
  expiration?: string;
  authorization?: 'full-access' | 'read-only';
}

/** Result of creating a database or group auth token. */
export interface CreateTokenResult {
  jwt: string;
}

export interface ListDatabasesOptions {
  /** Only the databases of this group. */
  group?: string;
  /** Only the children of this parent schema database. */
  schema?: string;
}

/**
 * Client of the Turso Platform API (`/v1/organizations/{orgSlug}/...`). The HTTP client is
 * native: it never calls `globalThis.fetch`, so test code that uses this class points
 * `baseUrl` at a local server. Database names must be 1-64 lowercase letters, digits and
 * dashes (otherwise INVALID_REQUEST before any request). Errors: 401/403 DRIVER_ERROR
 * (the token was refused), 404 NOT_FOUND, 409 ALREADY_EXISTS, other statuses DRIVER_ERROR
 * (each with the status, the API's text, the method and the path), no answer
 * DRIVER_CONNECTION_FAILED, a reply that is not JSON or lacks what is read DRIVER_ERROR.
 */
export declare class TursoPlatformAPI {
  /** CONFIG_ERROR naming a missing `orgSlug` or `apiToken`, or a bad `baseUrl`. */
  constructor(config: TursoPlatformConfig);
  readonly baseUrl: string;
  /** `POST /databases`; the second argument is 4.2.2's group name or the options. */
  createDatabase(
    name: string,
    groupOrOptions?: string | CreateDatabaseOptions,
  ): Promise<CreateDatabaseResult>;
  /**
   * Creates the database, or returns the existing one when the API answers 409: safe to call
   * from many replicas at once (the recipe's `onTenantCreate`).
   */
  ensureDatabase(name: string, groupOrOptions?: string | CreateDatabaseOptions): Promise<EnsuredDatabase>;
  /** `GET /databases/{name}`. */
  getDatabase(name: string): Promise<DatabaseInfo>;
  /** `DELETE /databases/{name}`. */
  deleteDatabase(name: string): Promise<void>;
  /** `GET /databases[?group=&schema=]`. */
  listDatabases(options?: ListDatabasesOptions): Promise<DatabaseInfo[]>;
  /** `POST /databases/{name}/auth/tokens?expiration=&authorization=`. */
  createToken(name: string, options?: CreateTokenOptions): Promise<CreateTokenResult>;
  /** A token for every database of the group: what a router's `groupAuthToken` usually is. */
  createGroupToken(group: string, options?: CreateTokenOptions): Promise<CreateTokenResult>;
  /** Invalidates every token of the group. */
  rotateGroupTokens(group: string): Promise<void>;
  /** Invalidates every token of the database. */
  rotateDatabaseTokens(name: string): Promise<void>;
}

export interface LibsqlAdminConfig extends ProvisioningHttpOptions {
  /** The server's `--admin-listen-addr` as a URL, e.g. `'http://127.0.0.1:9090'`. */
  adminUrl: string;
  /** Bearer token, when the admin API requires one. */
  authToken?: string;
}

/**
 * Client of a self-hosted libSQL server's admin API (`sqld --enable-namespaces
 * --admin-listen-addr ...`): one namespace, that is one database, per tenant, reached at
 * `http://{namespace}.<host>:<port>`. Namespaces: 1-63 letters, digits, `-`, `_`, not
 * starting or ending with `-` (otherwise INVALID_REQUEST before any request).
 */
export declare class LibsqlAdminAPI {
  /** CONFIG_ERROR for a missing or bad `adminUrl`. */
  constructor(config: LibsqlAdminConfig);
  readonly adminUrl: string;
  /** `POST /v1/namespaces/{ns}/create`; ALREADY_EXISTS when it exists. */
  createNamespace(namespace: string): Promise<void>;
  /** Creates the namespace unless it exists; safe to race. */
  ensureNamespace(namespace: string): Promise<{ namespace: string; created: boolean }>;
  /** `DELETE /v1/namespaces/{ns}`; NOT_FOUND when there is none. */
  deleteNamespace(namespace: string): Promise<void>;
  /** Whether the namespace exists. */
  hasNamespace(namespace: string): Promise<boolean>;
}

export interface MultiTenantPluginConfig extends MultiTenantConfig {
  /** The database of calls without a tenant under the kernel (boot, seeds, `sys_*`). Required there. */
  controlUrl?: string;
  /** More options of the control database's driver (its `url` is `controlUrl`). */
  control?: Omit<Partial<TursoDriverConfig>, 'url'>;
}

// ---------------------------------------------------------------------------------------
// Plugin
// ---------------------------------------------------------------------------------------

export interface TursoDriverPluginConfig {
  /** One database (single-tenant mode). */
  connection?: TursoDriverConfig;
  /**
   * Many databases, one per tenant. Under the ObjectStack kernel the plugin registers one
   * driver service that sends each call to its tenant's database (`options.tenantId`, or
   * the tenant of the engine operation under way) and calls without a tenant, and `sys_*`
   * objects, to `controlUrl`.
   */
  multiTenant?: MultiTenantPluginConfig;
  /**
   * Migrate on start (to `objects`) and at every schema sync (the kernel's boot sync
   * included): the driver's safe plan (new tables, columns and indexes, type, NOT NULL and
   * default changes by table rebuild), never a destructive action. A plan that would lose
   * data (values that will not convert) fails the start with `MIGRATION_REFUSED`.
   */
  autoMigrate?: boolean;
  /** The objects `autoMigrate` brings the database up to. */
  objects?: ObjectSchema[];
  /** The kernel service the driver registers as. Default: `driver.turso`. */
  serviceName?: string;
}

/**
 * The driver as a plugin of the ObjectStack kernel (`init`/`start`/`destroy`, registering
 * the driver as a `driver.<name>` service) and of the older ObjectQL runtime
 * (`install`/`onStart`/`onStop`).
 */
export declare class TursoDriverPlugin {
  constructor(config: TursoDriverPluginConfig);
  readonly name: '@objectql/driver-turso';
  readonly version: string;
  readonly serviceName: string;
  init(ctx: { registerService(name: string, service: unknown): void }): void;
  start(ctx?: unknown): Promise<void>;
  destroy(): Promise<void>;
  install(ctx?: unknown): void;
  onStart(ctx?: unknown): Promise<void>;
  onStop(ctx?: unknown): Promise<void>;
  getDriver(): TursoDriver;
  /** The router (multi-tenant mode); DRIVER_ERROR in single-tenant mode or before start. */
  getRouter(): MultiTenantRouter;
  /** The driver's migration plan to `objects`, as `{ up, down, summary, plan }`. */
  generateMigration(objects: readonly ObjectSchema[], options?: MigrationOptions): Promise<SchemaMigration>;
  /** Its plan (refused on drift) or else its `up` statements, in one transaction. */
  applyMigration(migration: SchemaMigration): Promise<MigrationResult>;
}

// ---------------------------------------------------------------------------------------
// Migrating a fleet of tenant databases (lib/fleet.js)

/** What one tenant's migration came to. */
export interface TenantMigrationResult {
  tenant: string;
  /**
   * `'migrated'`: the plan was applied. `'up-to-date'`: nothing to do (a tenant whose schema
   * fingerprint is one this run already brought a tenant to is not planned at all).
   * `'planned'`: a dry run's plan. `'failed'`: nothing was applied; see `code` and `error`.
   */
  status: 'migrated' | 'up-to-date' | 'failed' | 'planned';
  /** Statements applied (`migrated`) or that would run (`planned`); 0 otherwise. */
  statements: number;
  /** The tenant's schema fingerprint: after the migration, or the one planned against. */
  fingerprint?: string;
  /** The plan's lines (`migrated`, `planned`). */
  summary?: string[];
  /** A dry run: why applying this tenant's plan would be refused (absent when it would not). */
  blocked?: string[];
  /**
   * What the plan left out, and why (destructive changes without `allowDestructive`,
   * protected tables): a tenant with nothing else to apply is `'up-to-date'` with these.
   */
  skipped?: string[];
  /** `failed`: the ObjectQLError code (e.g. `MIGRATION_REFUSED`, `DRIVER_CONNECTION_FAILED`). */
  code?: string;
  /** `failed`: what went wrong. */
  error?: string;
  /** The tenant's `release` failed (its status stands). */
  releaseError?: string;
}

export interface MigrateTenantsResult {
  total: number;
  migrated: number;
  upToDate: number;
  failed: number;
  /** Dry run: tenants with changes planned. */
  planned: number;
  /** Milliseconds. */
  duration: number;
  /** One per tenant, in the order of `tenants`. */
  tenants: TenantMigrationResult[];
}

/** What `onProgress` hears: a tenant started, then the same tenant finished. */
export type TenantMigrationEvent =
  | { type: 'start'; tenant: string; done: number; total: number }
  | { type: 'tenant'; tenant: string; done: number; total: number; result: TenantMigrationResult };

export interface MigrateTenantsOptions extends MigrationOptions {
  /** The object definitions every tenant is brought to (an array, or a map `{ name: def }`). */
  objects: ObjectSchema[] | Record<string, Omit<ObjectSchema, 'name'> & { name?: string }>;
  /** Tenant ids, each listed once. */
  tenants: string[];
  /** The tenant's driver (connected, or connecting on first call). Give this or `urlTemplate`. */
  driverFor?: (tenant: string) => TursoDriver | Promise<TursoDriver>;
  /**
   * Where each tenant's database is, `{tenant}` replaced by its id (e.g.
   * `'file:./tenants/{tenant}.db'`). Every id is checked first (2-64 letters, digits, `-`,
   * `_`, beginning and ending with a letter or digit): any other id refuses the whole run
   * with INVALID_REQUEST before a tenant is touched. A `file:` database that does not exist
   * is not created: that tenant fails with NOT_FOUND.
   */
  urlTemplate?: string;
  /** With `urlTemplate`: the rest of each tenant driver's config (e.g. `authToken`). */
  driverOptions?: Omit<Partial<TursoDriverConfig>, 'url'>;
  /** Called when a tenant is done with. Default: `driver.disconnect()`. */
  release?: (tenant: string, driver: TursoDriver) => Promise<void>;
  /** Plan every tenant, apply nothing. */
  dryRun?: boolean;
  /** Tenants migrated at once. Default 1. */
  concurrency?: number;
  /** Called as each tenant starts and finishes; a throwing callback is ignored. */
  onProgress?: (event: TenantMigrationEvent) => void;
}

/**
 * One migration across many tenant databases: each tenant is opened, planned, applied in
 * its own transaction (`applyMigrationPlan`) and released; a tenant that fails is recorded
 * and the run goes on. A re-run resumes: migrated tenants are up to date. Rejects (with
 * INVALID_REQUEST) only for bad options.
 */
export declare function migrateTenants(options: MigrateTenantsOptions): Promise<MigrateTenantsResult>;
