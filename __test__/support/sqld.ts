// A real libSQL server (`sqld`, from scripts/sqld.js) on 127.0.0.1 for the remote runs
// of the suites: one per test file, started on first use, emptied before each test that
// uses it, killed when the file ends.

export interface Sqld {
  url: string;
  port: number;
  /** Kills the server (as a crash would); `start()` brings it back on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Kills the server and removes its data. */
  dispose(): Promise<void>;
  /** Drops every table, view and trigger: the next test starts on an empty database. */
  empty(): Promise<void>;
  /** Runs statements over Hrana's HTTP pipeline, outside any driver (in `namespace`, if given). */
  pipeline(sql: string[], namespace?: string): Promise<unknown[]>;
}

/** A sqld serving a database per namespace; `url` is its default namespace. */
export interface NamespacedSqld extends Sqld {
  adminPort: number;
  /** Creates an empty database (the admin API's `POST /v1/namespaces/{ns}/create`). */
  createNamespace(namespace: string): Promise<void>;
  /** Deletes a namespace and its database (`DELETE /v1/namespaces/{ns}`). */
  deleteNamespace(namespace: string): Promise<void>;
  /** `http://{namespace}.localhost:PORT`: the namespace is the Host name's first label. */
  namespaceUrl(namespace: string): string;
}

// The launcher is shared with `npm run bench` (plain JS).
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { startSqld } = require('../../scripts/sqld.js') as {
  startSqld(extraArgs?: string[]): Promise<Sqld>;
  startSqld(extraArgs: string[], options: { namespaces: true }): Promise<NamespacedSqld>;
};

let shared: Promise<Sqld> | undefined;

/**
 * The test file's server, started on first use and killed after the file's last test.
 * Call it at a file's top level or inside a describe block.
 */
export function useSqld(): () => Promise<Sqld> {
  afterAll(async () => {
    const server = shared;
    shared = undefined;
    if (server) await (await server).dispose();
  });
  return () => (shared ??= startSqld());
}
