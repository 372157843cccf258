// Types of lib/tenant-schema.js: the shared schema a multi-tenant router hands its tenant
// drivers (internal to the package's router; not exported from the package entry).

import type { ObjectSchema } from '..';

/** The driver option that carries a TenantSchema. */
export declare const kSharedSchema: unique symbol;
/** `driver[kApplySharedSchema]()`: an open tenant database is brought to the newest definitions now. */
export declare const kApplySharedSchema: unique symbol;

export declare class TenantSchema {
  constructor(options?: { contract?: 'objectql' | 'objectstack' });
  /** Records the definitions every tenant database is brought to, replacing the previous ones. */
  syncSchema(objects: ObjectSchema[]): Promise<void>;
  /** A digest of the current definitions. */
  readonly fingerprint: string;
  /** Bumped by every syncSchema (0 before the first). */
  readonly generation: number;
  /** The names of the current objects. */
  readonly objects: string[];
  readonly contract: 'objectql' | 'objectstack';
}

/** What a TursoDriver made with `[kSharedSchema]` offers its router. */
export interface TenantDriverHooks {
  [kApplySharedSchema](): Promise<void>;
}
