// The driver against libSQL servers that misbehave the ways real ones do: one that wants
// a token, one that accepts a connection and never answers, a port nobody listens on, a
// server killed mid-transaction or restarted between calls. A remote call must answer
// within `timeout` with a code the caller can act on, and never leave half a transaction.

import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import { TursoDriver, type TursoDriverConfig } from '..';
import { startSqld, type Sqld } from './support/sqld';

const NOTE = { name: 'note', fields: { body: { type: 'text' } } };

/** A libSQL server of the describe block's own, and its drivers, disconnected after each test. */
function useServer(extraArgs: () => string[] = () => []): {
  server(): Sqld;
  driver(config?: Partial<TursoDriverConfig>): TursoDriver;
} {
  let sqld: Sqld | undefined;
  const drivers: TursoDriver[] = [];
  beforeAll(async () => {
    sqld = await startSqld(extraArgs());
  });
  afterEach(async () => {
    while (drivers.length > 0) await drivers.pop()!.disconnect();
  });
  afterAll(async () => {
    await sqld?.dispose();
  });
  const server = (): Sqld => {
    if (!sqld) throw new Error('the server is only usable inside a test');
    return sqld;
  };
  return {
    server,
    driver: (config = {}) => {
      const d = new TursoDriver({ url: server().url, ...config });
      drivers.push(d);
      return d;
    },
  };
}

/** A port of 127.0.0.1 that nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * How long `call` took to settle, and what it settled with. The clock starts before the
 * call: the driver's own timeout starts inside it, and a loaded machine can pause between
 * the two, which made a timeout that came on time look early.
 */
async function timed<T>(
  call: () => Promise<T>,
): Promise<{ ms: number; value?: T; error?: unknown; rejected: boolean }> {
  const started = performance.now();
  try {
    const value = await call();
    return { ms: performance.now() - started, value, rejected: false };
  } catch (error) {
    return { ms: performance.now() - started, error, rejected: true };
  }
}

/** Settles with 'pending' if `promise` has not settled within `ms`: a hang is a failure, not a stuck test. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<'pending'>((resolve) => {
      timer = setTimeout(() => resolve('pending'), ms);
    }),
  ]);
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** An EdDSA JWT for `payload`, signed with `privateKey`, as sqld verifies them. */
function signJwt(payload: Record<string, unknown>, privateKey: crypto.KeyObject): string {
  const signed = `${base64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}`;
  return `${signed}.${base64url(crypto.sign(null, Buffer.from(signed), privateKey))}`;
}

describe('given a libSQL server that wants a JWT signed by its key', () => {
  const keys = crypto.generateKeyPairSync('ed25519');
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-jwt-'));
  const keyFile = path.join(keyDir, 'jwt.pem');
  fs.writeFileSync(keyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
  const { driver } = useServer(() => ['--auth-jwt-key-file', keyFile]);
  afterAll(() => fs.rmSync(keyDir, { recursive: true, force: true }));

  const now = Math.floor(Date.now() / 1000);
  const payload = { a: 'rw', iat: now, exp: now + 3600 };

  it('should serve a driver with a token it signed', async () => {
    const d = driver({ authToken: signJwt(payload, keys.privateKey) });
    expect(d.transportMode).toBe('remote');
    await d.connect();
    await d.init([NOTE]);
    await d.create('note', { id: 'n1', body: 'signed' });
    expect(await d.find('note', {})).toEqual([expect.objectContaining({ id: 'n1', body: 'signed' })]);
    await expect(d.checkHealth()).resolves.toBe(true);
  });

  it.each([
    ['no token', undefined],
    ['a token signed by another key', signJwt(payload, crypto.generateKeyPairSync('ed25519').privateKey)],
    ['an expired token', signJwt({ a: 'rw', iat: now - 7200, exp: now - 3600 }, keys.privateKey)],
  ])('should refuse a driver with %s at connect() and at a data call', async (_what, authToken) => {
    const d = driver(authToken === undefined ? {} : { authToken });
    const refused = { code: 'DRIVER_CONNECTION_FAILED', message: expect.stringMatching(/auth token/) };
    await expect(d.connect()).rejects.toMatchObject(refused);
    await expect(d.find('note', {})).rejects.toMatchObject(refused);
    await expect(d.create('note', { body: 'unsigned' })).rejects.toMatchObject(refused);
    await expect(d.checkHealth()).resolves.toBe(false);
  });
});

describe('given a server that accepts connections and never answers', () => {
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let url: string;
  const drivers: TursoDriver[] = [];

  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  });
  afterEach(async () => {
    while (drivers.length > 0) await drivers.pop()!.disconnect();
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('should fail connect() and a read within the timeout, saying so, and report it unhealthy', async () => {
    const d = new TursoDriver({ url, timeout: 300 });
    drivers.push(d);
    const timedOut = {
      code: 'DRIVER_CONNECTION_FAILED',
      message: expect.stringMatching(/within 300 ms.*timeout/),
    };
    const calls: Array<() => Promise<unknown>> = [
      () => d.connect(),
      () => d.find('note', {}),
      () => d.create('note', { body: 'x' }),
    ];
    for (const call of calls) {
      const { ms, error, rejected } = await timed(call);
      expect(rejected).toBe(true);
      expect(error).toMatchObject(timedOut);
      // Not before the timeout (it waited for the server), nor long after it.
      expect(ms).toBeGreaterThanOrEqual(280);
      expect(ms).toBeLessThan(2000);
    }
    const health = await timed(() => d.checkHealth());
    expect(health).toMatchObject({ rejected: false, value: false });
    expect(health.ms).toBeLessThan(2000);
    // The driver did reach the server: the silence was on the other end of a socket.
    expect(sockets.size).toBeGreaterThan(0);
  });
});

describe('given a port that nothing listens on', () => {
  it('should fail connect() and calls at once with DRIVER_CONNECTION_FAILED, and report it unhealthy', async () => {
    const d = new TursoDriver({ url: `http://127.0.0.1:${await closedPort()}` });
    expect(d.transportMode).toBe('remote');
    try {
      // The default timeout is 30 s: a refused connection must not wait for it.
      const calls: Array<() => Promise<unknown>> = [() => d.connect(), () => d.find('note', {})];
      for (const call of calls) {
        const { ms, error } = await timed(call);
        expect(error).toMatchObject({ code: 'DRIVER_CONNECTION_FAILED' });
        expect(ms).toBeLessThan(2000);
      }
      const health = await timed(() => d.checkHealth());
      expect(health).toMatchObject({ rejected: false, value: false });
      expect(health.ms).toBeLessThan(2000);
    } finally {
      await d.disconnect();
    }
  });
});

describe('given a libSQL server that is killed or restarted', () => {
  const { server, driver } = useServer();

  beforeEach(async () => {
    await server().empty();
  });

  it('should reject the commit of a transaction whose server was killed, keep none of it, and work on after the restart', async () => {
    const d = driver({ timeout: 5000 });
    await d.init([NOTE]);
    await d.create('note', { id: 'before', body: 'committed earlier' });
    const tx = await d.beginTransaction();
    await d.create('note', { id: 'in-tx', body: 'never committed' }, { transaction: tx });
    await server().stop();
    await expect(d.commit(tx)).rejects.toMatchObject({ code: 'DRIVER_CONNECTION_FAILED' });
    await server().start();
    // Another driver's view, and the server's own: the row of the lost transaction is not there.
    const fresh = driver();
    expect((await fresh.find('note', {})).map((r) => r.id)).toEqual(['before']);
    const [listed] = (await server().pipeline(['SELECT id FROM note ORDER BY id'])) as Array<{
      result: { rows: Array<Array<{ value: string }>> };
    }>;
    expect(listed.result.rows.map(([id]) => id.value)).toEqual(['before']);
    // The same driver carries on without the caller reconnecting.
    expect((await d.find('note', {})).map((r) => r.id)).toEqual(['before']);
    await d.create('note', { id: 'after', body: 'after the restart' });
    expect(await fresh.count('note', {})).toBe(2);
    const next = await d.beginTransaction();
    await d.create('note', { id: 'next-tx', body: 'committed' }, { transaction: next });
    await d.commit(next);
    expect(await fresh.count('note', {})).toBe(3);
  });

  it('should replace a stream the restarted server lost, outside a transaction, without the caller noticing', async () => {
    const d = driver({ timeout: 5000 });
    await d.init([NOTE]);
    await d.create('note', { id: 'a', body: 'first' });
    expect(await d.count('note', {})).toBe(1);
    await server().stop();
    await server().start();
    expect((await d.find('note', {})).map((r) => r.id)).toEqual(['a']);
    await server().stop();
    await server().start();
    await d.create('note', { id: 'b', body: 'second' });
    expect((await d.find('note', { sort: 'id' })).map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('should say a transaction whose stream the restarted server lost is gone, and begin new ones after', async () => {
    const d = driver({ timeout: 5000 });
    await d.init([NOTE]);
    const tx = await d.beginTransaction();
    await d.create('note', { id: 'lost', body: 'in the lost transaction' }, { transaction: tx });
    await server().stop();
    await server().start();
    await expect(d.create('note', { id: 'more', body: 'x' }, { transaction: tx })).rejects.toMatchObject({
      code: 'DRIVER_CONNECTION_FAILED',
      message: expect.stringMatching(/transaction is gone/),
    });
    // Rolling back what is gone may resolve or reject, but with a code and not forever.
    const rollback = await within(
      d.rollback(tx).then(
        () => 'resolved',
        (err: { code?: unknown }) => err.code,
      ),
      6000,
    );
    expect(rollback).not.toBe('pending');
    expect(typeof rollback).toBe('string');
    expect(await d.count('note', {})).toBe(0);
    const next = await d.beginTransaction();
    await d.create('note', { id: 'kept', body: 'in a new transaction' }, { transaction: next });
    await d.commit(next);
    expect((await d.find('note', {})).map((r) => r.id)).toEqual(['kept']);
  });
});

describe('given a driver limited to one request at a time', () => {
  const { server, driver } = useServer();

  beforeEach(async () => {
    await server().empty();
  });

  it('should complete 20 parallel creates with concurrency 1', async () => {
    const d = driver({ concurrency: 1 });
    await d.init([NOTE]);
    const ids = Array.from({ length: 20 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    const created = await Promise.all(ids.map((id) => d.create('note', { id, body: `body ${id}` })));
    expect(created.map((r) => r.id)).toEqual(ids);
    const rows = await d.find('note', { sort: 'id' });
    expect(rows.map((r) => [r.id, r.body])).toEqual(ids.map((id) => [id, `body ${id}`]));
  });
});

describe('given the two contracts on a libSQL server', () => {
  const { server, driver } = useServer();
  const ACCT = { name: 'acct', fields: { email: { type: 'text', unique: true }, name: { type: 'text' } } };

  beforeEach(async () => {
    await server().empty();
  });

  it("should serve the kernel's shapes and report a unique violation as UNIQUE_VIOLATION with contract 'objectstack'", async () => {
    const d = driver({ contract: 'objectstack' });
    await d.init([ACCT]);
    const created = await d.create('acct', { id: 'a1', email: 'a@example.test', name: 'A' });
    expect(created).toMatchObject({ id: 'a1', email: 'a@example.test', name: 'A' });
    expect(await d.find('acct', { where: { email: 'a@example.test' } })).toEqual([
      expect.objectContaining({ id: 'a1', name: 'A' }),
    ]);
    expect(await d.update('acct', 'a1', { name: 'Anna' })).toMatchObject({ id: 'a1', name: 'Anna' });
    await expect(d.create('acct', { id: 'a2', email: 'a@example.test' })).rejects.toMatchObject({
      code: 'UNIQUE_VIOLATION',
      status: 409,
    });
    expect(await d.delete('acct', 'a1')).toBe(true);
    expect(await d.delete('acct', 'a1')).toBe(false);
    expect(await d.find('acct', {})).toEqual([]);
  });

  it('should report a unique violation as QUERY_ERROR in the default contract', async () => {
    const d = driver();
    await d.init([ACCT]);
    await d.create('acct', { id: 'a1', email: 'a@example.test' });
    await expect(d.create('acct', { id: 'a2', email: 'a@example.test' })).rejects.toMatchObject({
      code: 'QUERY_ERROR',
      message: expect.stringMatching(/UNIQUE/),
    });
    expect(await d.update('acct', 'a1', { name: 'B' })).toMatchObject({ id: 'a1', name: 'B' });
    await expect(d.delete('acct', 'a1')).resolves.toMatchObject({ deleted: true });
    expect(await d.count('acct', {})).toBe(0);
  });
});

describe('given many drivers on one server, as a tenant router holds them', () => {
  const { server } = useServer();

  const openFds = () => fs.readdirSync('/proc/self/fd').length;
  const threads = () => Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);

  it('should open and close them in a loop without leaking a connection, a descriptor or a thread', async () => {
    const round = async () => {
      const drivers = Array.from({ length: 4 }, () => new TursoDriver({ url: server().url }));
      for (const d of drivers) {
        await d.connect();
        await d.create('note', { body: 'x' });
        await d.find('note', {});
      }
      await Promise.all(drivers.map((d) => d.disconnect()));
    };
    const setup = new TursoDriver({ url: server().url });
    await setup.init([NOTE]);
    await setup.disconnect();
    await round();
    const [fds, threadCount] = [openFds(), threads()];
    // sqld serves 128 connections by default: 200 drivers that kept theirs would exhaust it.
    for (let i = 0; i < 50; i++) await round();
    expect(openFds()).toBeLessThanOrEqual(fds + 8);
    expect(threads()).toBeLessThanOrEqual(threadCount + 2);
    const [rows] = (await server().pipeline(['SELECT count(*) FROM note'])) as {
      result: { rows: { value: string }[][] };
    }[];
    expect(Number(rows.result.rows[0][0].value)).toBe(204);
  });
});

describe('given a transaction that holds the write lock past the server limit', () => {
  const { driver } = useServer();

  it('should say the server rolled it back, at the next statement and at commit, and keep none of it', async () => {
    const holder = driver();
    const other = driver();
    await holder.init([NOTE]);
    const tx = await holder.beginTransaction();
    await holder.create('note', { body: 'held' }, { transaction: tx });
    // sqld hands the lock to a waiting writer after 5 s and ends the holder's transaction.
    const waiting = other.create('note', { body: 'waited' });
    await waiting;
    const gone = { code: 'DRIVER_ERROR', message: expect.stringMatching(/rolled this transaction back/) };
    await expect(holder.create('note', { body: 'late' }, { transaction: tx })).rejects.toMatchObject(gone);
    await expect(holder.commit(tx)).rejects.toMatchObject(gone);
    expect((await holder.find('note', {})).map((r) => r.body)).toEqual(['waited']);
  }, 20_000);
});

describe('given a driver left idle longer than the server keeps a stream', () => {
  const { driver } = useServer();

  // sqld expires a stream after 10 s without a request (libsql#985, #1670): the real wait.
  it('should reopen it unseen outside a transaction, and say a transaction on it is gone', async () => {
    const d = driver();
    await d.init([NOTE]);
    await d.create('note', { body: 'before' });
    await d.find('note', {});
    const tx = await d.beginTransaction();
    await d.create('note', { body: 'uncommitted' }, { transaction: tx });
    await new Promise((r) => setTimeout(r, 11_000));
    expect((await d.find('note', {})).map((r) => r.body)).toEqual(['before']);
    await expect(d.create('note', { body: 'late' }, { transaction: tx })).rejects.toMatchObject({
      code: 'DRIVER_CONNECTION_FAILED',
      message: expect.stringMatching(/transaction is gone.*STREAM_EXPIRED/s),
    });
    await d.rollback(tx).catch(() => undefined);
    expect(await d.count('note', {})).toBe(1);
  }, 30_000);
});
