// ESM entry: the same objects as the CommonJS entry.
import cjs from './index.js';

export const {
  TursoDriver,
  TursoTransaction,
  createTursoDriver,
  TursoDriverPlugin,
  createMultiTenantRouter,
  migrateTenants,
  TursoPlatformAPI,
  LibsqlAdminAPI,
  processLimits,
  setSoftHeapLimit,
  ObjectQLError,
  compileFilter,
  compileSelect,
  parseSort,
  quoteIdentifier,
  fieldTypeToSqlite,
  isJsonFieldType,
  isBooleanFieldType,
  mapRow,
  mapRows,
  serializeValue,
  serializeRecord,
  diffSchema,
  generateMigration,
  executeMigrations,
} = cjs;

export default cjs;
