// The ObjectStack driver conformance case sets (`@objectstack/spec/data`), run against
// this package's native driver in its kernel contract mode (on a local file, and on a
// libSQL server) and, on request, against the kernel's own TypeScript Turso driver, which
// passes all of them (the harness's control).
//
//   npx jest __test__/conformance.test.ts                          # the native driver
//   CONFORMANCE_REFERENCE=1 npx jest __test__/conformance.test.ts   # and the reference
//   CONFORMANCE_NATIVE=0    npx jest __test__/conformance.test.ts   # skip the native run
//
// The reference needs better-sqlite3's addon built (`npm rebuild better-sqlite3`).
//
// The harness and its rules: `./support/conformance.ts`; findings: `./conformance-notes.md`.

import * as path from 'path';

import { TursoDriver } from '..';
import { defineConformanceSuites } from './support/conformance';
import { referenceDriverFactory } from './support/reference';
import { startSqld, type Sqld } from './support/sqld';

const DB_FILE = 'conformance.db';

// The reference: `@objectstack/driver-turso` in local mode, the harness's control.
const referenceDescribe = process.env.CONFORMANCE_REFERENCE === '1' ? describe : describe.skip;
defineConformanceSuites(
  'reference: @objectstack/driver-turso (TypeScript, local file)',
  referenceDriverFactory(DB_FILE),
  referenceDescribe,
);

// The native driver, switched to the kernel's shapes.
const nativeDescribe = process.env.CONFORMANCE_NATIVE === '0' ? describe.skip : describe;
defineConformanceSuites(
  "native: @objectql/driver-turso (contract: 'objectstack', local file)",
  (dir) =>
    new TursoDriver({
      url: 'file:' + path.join(dir, DB_FILE),
      contract: 'objectstack',
    }),
  nativeDescribe,
);

// The native driver on a libSQL server (a real sqld on 127.0.0.1, one per case set).
const servers: Sqld[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.dispose()));
});
defineConformanceSuites(
  "native: @objectql/driver-turso (contract: 'objectstack', remote sqld)",
  async () => {
    const server = await startSqld();
    servers.push(server);
    return new TursoDriver({ url: server.url, contract: 'objectstack' });
  },
  nativeDescribe,
);
