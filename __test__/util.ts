import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { TursoDriver, type DataRecord, type ObjectSchema, type TursoDriverConfig } from '..';
import { useSqld, type Sqld } from './support/sqld';

export interface Sandbox {
  /** The temp dir of the running test (created in beforeEach, removed in afterEach). */
  dir(): string;
  /** A `file:` URL for a database inside the temp dir. */
  fileUrl(name?: string): string;
  /** A driver that is disconnected in afterEach (before the temp dir is removed). */
  driver(config: TursoDriverConfig): TursoDriver;
  /** The file's libSQL server, emptied before each test (only for `useSandbox('remote')`). */
  server(): Sqld;
}

/**
 * Registers beforeEach/afterEach hooks: one temp dir per test, and every driver made
 * through `driver()` disconnected after the test, before the dir is removed. For the
 * `remote` kind, also the file's libSQL server, started once and emptied before each test.
 */
export function useSandbox(kind?: DbKind): Sandbox {
  let dir: string | undefined;
  const drivers: TursoDriver[] = [];
  let sqld: Sqld | undefined;
  if (kind === 'remote') {
    const server = useSqld();
    beforeAll(async () => {
      sqld = await server();
    });
    beforeEach(async () => {
      await sqld!.empty();
    });
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driver-turso-test-'));
  });

  afterEach(async () => {
    try {
      while (drivers.length > 0) {
        await drivers.pop()!.disconnect();
      }
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    }
  });

  const current = (): string => {
    if (!dir) throw new Error('the sandbox is only usable inside a test');
    return dir;
  };

  return {
    dir: current,
    fileUrl: (name = 'test.db') => `file:${path.join(current(), name)}`,
    server: () => {
      if (!sqld) throw new Error("the sandbox has a libSQL server only as useSandbox('remote')");
      return sqld;
    },
    driver: (config) => {
      const d = new TursoDriver(config);
      drivers.push(d);
      return d;
    },
  };
}

/** The kinds of database every behaviour is checked on: two local, one on a libSQL server. */
export type DbKind = 'memory' | 'file' | 'remote';
export const DB_KINDS: DbKind[] = ['memory', 'file', 'remote'];

export function urlFor(sandbox: Sandbox, kind: DbKind): string {
  if (kind === 'remote') return sandbox.server().url;
  return kind === 'memory' ? ':memory:' : sandbox.fileUrl();
}

/** Returns what `fn` throws; fails the test when it does not throw. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw synchronously, but it returned');
}

/** Sorts records by `id` (or another key) so results can be compared without an ORDER BY. */
export function byKey<T extends DataRecord>(rows: T[], key = 'id'): T[] {
  return [...rows].sort((a, b) => String(a[key]).localeCompare(String(b[key])));
}

/**
 * Asserts that `promise` is still pending while the event loop keeps running: five timer
 * callbacks run one after another and each sees the promise unsettled. A call that blocked
 * the JS thread until it finished would have settled before the first timer could fire.
 */
export async function expectPendingWhileEventLoopRuns(promise: Promise<unknown>): Promise<void> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const seen: boolean[] = [];
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      seen.push(settled);
      if (seen.length === 5) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  expect(seen).toEqual([false, false, false, false, false]);
}

/** A schema used by several suites. */
export const PEOPLE: ObjectSchema = {
  name: 'people',
  fields: {
    name: { type: 'text' },
    age: { type: 'integer' },
    email: { type: 'email' },
    active: { type: 'boolean' },
    meta: { type: 'json' },
  },
};
