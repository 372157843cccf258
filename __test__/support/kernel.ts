// A real ObjectStack kernel for Jest, in a child process (`../fixtures/kernel-host.js`),
// driven call by call as an app drives `ql`:
//
//   const k = await kernels.start({ objects, url });       // native plugin on `url`
//   await k.ql.insert('task', { title: 'a' });             // a system call (no tenant)
//   const a = k.as({ tenantId: 'A' });                     // calls with a request context
//   await a.insert('task', { title: 'b' });                // ql.insert(obj, data, { context })
//   await a.find('task', { where: { title: 'b' } });       // ql.find(obj, { ..., context })
//   await a.update('task', { n: 1 }, { where: { id } });   // ql.update(obj, data, { where, context })
//   await a.delete('task', { where: { id }, multi: true });
//   await k.transaction([{ method: 'insert', args: [...] }], { tenantId: 'A' });
//   await k.driver('execute', 'SELECT ...');               // the driver instance itself
//
// How the engine takes a context (read in @objectstack/objectql's ObjectQL): `insert`,
// `update` take it in their options (`{ context }`); `find`, `findOne`, `count`,
// `aggregate` in the query or the options (merged); `delete(object, { where, multi,
// context })`. `buildDriverOptions` turns `context.tenantId` into the driver's
// `options.tenantId` (not for objects with `tenancy.enabled: false`).
//
// Kernel suites run under each Node of `kernelNodes()`: Jest's own (20) and Node 22 (the
// kernel's declared engine), provisioned by `scripts/node22.js` (`npm test` runs it).

import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { node22Path } = require('../../scripts/node22.js') as { node22Path: () => string };

const HOST = path.join(__dirname, '..', 'fixtures', 'kernel-host.js');
const BOOT_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 30_000;

/** A Node binary kernel suites run under, with a label for `describe.each`. */
export interface KernelNode {
  label: string;
  path: string;
}

/** Node 20 (this process) and Node 22; in CI a missing Node 22 fails the suite. */
export function kernelNodes(): KernelNode[] {
  const nodes: KernelNode[] = [
    { label: `node ${process.versions.node.split('.')[0]}`, path: process.execPath },
  ];
  const node22 = node22Path();
  if (fs.existsSync(node22)) {
    nodes.push({ label: 'node 22', path: node22 });
  } else if (process.env.CI) {
    throw new Error(`Node 22 is not provisioned (${node22}): run node scripts/node22.js`);
  } else {
    // eslint-disable-next-line no-console
    console.warn(`kernel suites skip Node 22: run node scripts/node22.js to provision it`);
  }
  return nodes;
}

export interface KernelSetup {
  objects: object[];
  /** Database URL; a file in the test's sandbox by default. */
  url?: string;
  /** `native` (this package's plugin, default) or `reference` (the kernel's TS driver). */
  driver?: 'native' | 'reference';
  /** The Node binary to run the kernel under (this process's by default). */
  node?: string;
  /** ObjectQLPlugin options, e.g. `{ skipSchemaSync: true }`. */
  objectql?: Record<string, unknown>;
  /** TursoDriverPlugin options; with `multiTenant`, the plugin is made of these alone (no `url`). */
  plugin?: Record<string, unknown>;
}

/** An error as the child saw it: message, code, status. */
export class KernelError extends Error {
  code?: string;
  status?: number;
  constructor(fields: { message: string; name?: string; code?: string; status?: number }) {
    super(fields.message);
    Object.assign(this, fields);
  }
}

type Ql = Record<string, (...args: unknown[]) => Promise<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Kernel {
  /** `ql` without a context: system, seed and admin calls. */
  ql: Ql;
  /** `ql` with an execution context on every call (e.g. `{ tenantId: 'A' }`). */
  as(context: Record<string, unknown>): Ql;
  /** A method of the driver instance the kernel registered. */
  driver(method: string, ...args: unknown[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** `ql.transaction()`: each step a ql call with the transaction's context (and its own, if given). */
  transaction(
    steps: Array<{ method: string; args: unknown[]; context?: Record<string, unknown> }>,
    context?: Record<string, unknown>,
    options?: { fail?: boolean },
  ): Promise<unknown[]>;
  /** The Node version the kernel runs under. */
  nodeVersion: string;
  close(): Promise<void>;
}

class KernelProcess {
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private closed = false;

  constructor(private child: ChildProcess) {
    child.stderr?.on('data', (d) => (this.stderr += String(d)));
    child.on('message', (msg: { id?: number; value?: unknown; error?: { message: string } }) => {
      const waiting = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!waiting) return;
      this.pending.delete(msg.id!);
      if (msg.error) waiting.reject(new KernelError(msg.error));
      else waiting.resolve(msg.value);
    });
    child.on('exit', (code) => {
      this.closed = true;
      for (const { reject } of this.pending.values()) {
        reject(new Error(`the kernel process exited (${code}) with a call pending:\n${this.stderr}`));
      }
      this.pending.clear();
    });
  }

  send(message: Record<string, unknown>): Promise<any> {
    // eslint-disable-line @typescript-eslint/no-explicit-any
    if (this.closed) return Promise.reject(new Error(`the kernel process is gone:\n${this.stderr}`));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`kernel call timed out after ${CALL_TIMEOUT_MS} ms: ${JSON.stringify(message)}`));
      }, CALL_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send({ id, ...message });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.send({ op: 'close' }).catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, 10_000);
      this.child.once('exit', () => (clearTimeout(timer), resolve()));
    });
  }
}

async function startKernel(setup: KernelSetup, dir: string): Promise<Kernel> {
  const url = setup.url ?? `file:${path.join(dir, 'kernel.db')}`;
  const child = fork(HOST, [JSON.stringify({ ...setup, url, node: undefined })], {
    execPath: setup.node ?? process.execPath,
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const proc = new KernelProcess(child);
  const ready = await new Promise<{
    ready: boolean;
    node?: string;
    error?: { message: string };
    stack?: string;
  }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the kernel did not boot within ${BOOT_TIMEOUT_MS} ms`));
    }, BOOT_TIMEOUT_MS);
    child.once('message', (msg) => (clearTimeout(timer), resolve(msg as never)));
    child.once(
      'exit',
      (code) => (clearTimeout(timer), reject(new Error(`the kernel process exited (${code})`))),
    );
  });
  if (!ready.ready) {
    await proc.close();
    throw new KernelError({
      ...ready.error!,
      message: `kernel boot failed: ${ready.error?.message}\n${ready.stack}`,
    });
  }
  const qlFor = (context?: Record<string, unknown>): Ql =>
    new Proxy({} as Ql, {
      get:
        (_, method: string) =>
        (...args: unknown[]) =>
          proc.send({ op: 'ql', method, args, context }),
    });
  return {
    ql: qlFor(),
    as: (context) => qlFor(context),
    driver: (method, ...args) => proc.send({ op: 'driver', method, args }),
    transaction: (steps, context, options) =>
      proc.send({ op: 'transaction', steps, context, fail: options?.fail === true }),
    nodeVersion: ready.node ?? '',
    close: () => proc.close(),
  };
}

/**
 * Kernels for the tests of a file: `start()` boots one in the current test's temp dir (or
 * in `dir`); after each test every kernel is closed, then the dir removed.
 */
export function useKernels(): { dir(): string; start(setup: KernelSetup, dir?: string): Promise<Kernel> } {
  let dir: string | undefined;
  const open: Kernel[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driver-turso-kernel-'));
  });
  afterEach(async () => {
    try {
      await Promise.all(open.splice(0).map((k) => k.close()));
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    }
  });
  const current = (): string => {
    if (!dir) throw new Error('kernels start inside a test');
    return dir;
  };
  return {
    dir: current,
    async start(setup, at) {
      const kernel = await startKernel(setup, at ?? current());
      open.push(kernel);
      return kernel;
    },
  };
}
