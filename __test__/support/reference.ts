// The reference driver: `@objectstack/driver-turso@17.4.0` (the kernel's TypeScript
// Turso driver; local mode is knex + better-sqlite3). It passes every conformance case,
// so a failure of it is a harness bug.

import { randomBytes } from 'crypto';
import * as path from 'path';

import type { DriverFactory } from './conformance';

const URL_ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict';

/**
 * nanoid's API, in CommonJS. The reference requires `nanoid@6`, which is ESM-only, and
 * Jest cannot `require()` ESM on Node 20 (Node itself can, which is why the reference
 * works outside Jest). Only used for the ids the reference makes up for rows written
 * without one.
 */
export function nanoid(size = 21): string {
  const bytes = randomBytes(size);
  let id = '';
  for (let i = 0; i < size; i++) id += URL_ALPHABET[bytes[i] & 63];
  return id;
}

/** A factory of reference drivers on `file:<dir>/<file>`. Loads the package on first use. */
export function referenceDriverFactory(file: string): DriverFactory {
  return (dir) => {
    jest.doMock('nanoid', () => ({ nanoid }));
    // Untyped: its declarations import `exports`-only subpaths that this project's
    // `moduleResolution: node10` cannot read.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { TursoDriver } = require('@objectstack/driver-turso');
    const driver = new TursoDriver({ url: 'file:' + path.join(dir, file) });
    // Its connect() creates the database's parent dir through `await import('path')`,
    // which Jest's sandbox refuses without --experimental-vm-modules. The dir exists
    // already (the harness made it), so that one step is skipped.
    driver.ensureDatabaseExists = async () => {};
    return driver;
  };
}
