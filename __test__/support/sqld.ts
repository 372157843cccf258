// A real libSQL server (`sqld`, from scripts/sqld.js) on 127.0.0.1 for the remote runs
// of the suites: one per test file, started on first use, emptied before each test that
// uses it, killed when the file ends.

import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sqldPath } = require('../../scripts/sqld.js') as { sqldPath(): string };

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
  /** Runs statements over Hrana's HTTP pipeline, outside any driver. */
  pipeline(sql: string[]): Promise<unknown[]>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitListening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sqld exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`sqld did not listen on 127.0.0.1:${port} within 10 s`);
}

export async function startSqld(extraArgs: string[] = []): Promise<Sqld> {
  const binary = sqldPath();
  if (!fs.existsSync(binary)) throw new Error(`sqld is missing at ${binary}: run \`node scripts/sqld.js\``);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driver-turso-sqld-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(
      binary,
      [
        '--http-listen-addr',
        `127.0.0.1:${port}`,
        '--db-path',
        path.join(dir, 'data.sqld'),
        '--no-welcome',
        ...extraArgs,
      ],
      { stdio: 'ignore' },
    );
    await waitListening(port, child);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGKILL');
    await exited;
  };
  const pipeline = async (sql: string[]) => {
    const body = {
      requests: [...sql.map((s) => ({ type: 'execute', stmt: { sql: s } })), { type: 'close' }],
    };
    const response = await fetch(`${url}/v2/pipeline`, { method: 'POST', body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`sqld pipeline: HTTP ${response.status} ${await response.text()}`);
    const { results } = (await response.json()) as {
      results: { type: string; error?: unknown; response?: unknown }[];
    };
    const failed = results.find((r) => r.type === 'error');
    if (failed) throw new Error(`sqld pipeline: ${JSON.stringify(failed.error)}`);
    return results.map((r) => r.response);
  };
  const empty = async () => {
    const [listed] = (await pipeline([
      "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND type IN ('table', 'view', 'trigger')",
    ])) as { result: { rows: { value: string }[][] } }[];
    const drops = listed.result.rows.map(
      ([type, name]) => `DROP ${type.value.toUpperCase()} IF EXISTS "${name.value.replace(/"/g, '""')}"`,
    );
    if (drops.length > 0) await pipeline(['PRAGMA foreign_keys = OFF', ...drops]);
  };

  const dispose = async () => {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  await start();
  return { url, port, start, stop, dispose, empty, pipeline };
}

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
