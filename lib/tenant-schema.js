'use strict';

// What the tenant databases of one app share: the object definitions each is synced to
// and the driver's knowledge of them (one catalog, see core/src/shared_schema.rs). A
// router makes one TenantSchema and hands it to every tenant driver under kSharedSchema:
//
//   const schema = new TenantSchema({ contract });
//   await schema.syncSchema(objects);
//   const driver = new TursoDriver({ url, [kSharedSchema]: schema });
//   await driver.connect(); // brings the tenant's database to `objects` (DDL only if it differs)
//   ...
//   await schema.syncSchema(newer);       // every tenant driver applies it at its next call,
//   await driver[kApplySharedSchema]();   // or now

const { TenantSchema: NativeTenantSchema } = require('../native.js');
const { toObjectQLError } = require('./errors.js');

/** The driver option that carries a TenantSchema (a symbol: no JSON config can hold one). */
const kSharedSchema = Symbol.for('@objectql/driver-turso.sharedSchema');
/** `driver[kApplySharedSchema]()`: an open tenant database is brought to the newest definitions now. */
const kApplySharedSchema = Symbol.for('@objectql/driver-turso.applySharedSchema');

const native = new WeakMap();

class TenantSchema {
  /** `contract`: the tenant drivers' (`'objectql'`, the default, or `'objectstack'`). */
  constructor(options = {}) {
    try {
      native.set(this, new NativeTenantSchema(options?.contract ?? null));
    } catch (err) {
      throw toObjectQLError(err);
    }
  }

  /**
   * Records the definitions every tenant database is brought to, replacing the previous
   * ones. Invalid definitions reject and leave the previous ones in force.
   */
  syncSchema(objects) {
    try {
      native.get(this).syncSchema(objects, process.env.NODE_ENV === 'production');
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(toObjectQLError(err));
    }
  }

  /** A digest of the current definitions. */
  get fingerprint() {
    return native.get(this).fingerprint;
  }

  /** Bumped by every syncSchema (0 before the first). */
  get generation() {
    return native.get(this).generation;
  }

  /** The names of the current objects. */
  get objects() {
    return native.get(this).objects;
  }

  get contract() {
    return native.get(this).contract;
  }
}

/** The native handle of a TenantSchema, for lib/driver.js; undefined for anything else. */
function nativeSchemaOf(schema) {
  return native.get(schema);
}

module.exports = { TenantSchema, kSharedSchema, kApplySharedSchema, nativeSchemaOf };
