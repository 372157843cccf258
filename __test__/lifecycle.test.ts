// The driver's lifecycle and its edges: work pending at disconnect() settles before it
// returns and never runs afterwards (a later call reconnects, as 4.2.2 connected lazily);
// execute() takes no transaction control; the scratch files of dead processes are swept;
// a read of text that is not UTF-8 reports an error without a panic report on stderr;
// urls that do not say what they seem to are refused or honoured.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { TursoDriver } from '..';
import { useSandbox } from './util';

const NOTE = { name: 'note', fields: { body: { type: 'text' } } };
const ROOT = path.join(__dirname, '..');

/** Runs a script in a Node process of its own; its stdout and stderr. */
function node(script: string): { stdout: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-'));
  const file = path.join(dir, 'run.js');
  fs.writeFileSync(file, script);
  try {
    const run = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    if (run.status !== 0) throw new Error(`the script failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    return { stdout: run.stdout, stderr: run.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('given work pending when disconnect() is called', () => {
  const sandbox = useSandbox();

  it('should settle it before disconnect() resolves, run none of it afterwards, and reconnect on the next call', async () => {
    const url = sandbox.fileUrl('pending.db');
    const holder = sandbox.driver({ url });
    const d = sandbox.driver({ url });
    await holder.init([NOTE]);
    await d.init([NOTE]);
    const tx = await holder.beginTransaction();
    await holder.create('note', { body: 'in the other transaction' }, { transaction: tx });
    // Both wait for the write lock the other driver holds.
    const create = d.create('note', { body: 'pending' });
    const begin = d.beginTransaction();
    const settled: string[] = [];
    create.catch(() => settled.push('create'));
    begin.catch(() => settled.push('begin'));
    await new Promise((r) => setTimeout(r, 20));
    await d.disconnect();
    expect(settled.sort()).toEqual(['begin', 'create']);
    await expect(create).rejects.toMatchObject({
      code: 'DRIVER_ERROR',
      message: expect.stringMatching(/disconnected/),
    });
    await expect(begin).rejects.toMatchObject({ code: 'DRIVER_ERROR' });
    await holder.commit(tx);
    await new Promise((r) => setTimeout(r, 60));
    // The pending create never ran, not even after the lock was free.
    expect((await holder.find('note', {})).map((r) => r.body)).toEqual(['in the other transaction']);
    // A call after disconnect() reconnects.
    expect(await d.count('note', {})).toBe(1);
    await d.create('note', { body: 'after' });
    expect(await holder.count('note', {})).toBe(2);
  });
});

describe('given raw SQL', () => {
  const sandbox = useSandbox();

  it('should refuse transaction control, several statements and empty text, and keep savepoints inside a transaction', async () => {
    const d = sandbox.driver({ url: sandbox.fileUrl() });
    await d.init([NOTE]);
    for (const sql of ['BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT s', 'END TRANSACTION']) {
      await expect(d.execute(sql)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringMatching(/beginTransaction\(\)/),
      });
    }
    await expect(
      d.execute("INSERT INTO note (id, body) VALUES ('a', 'x'); INSERT INTO note (id) VALUES ('b')"),
    ).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/more than one/),
    });
    expect(await d.count('note', {})).toBe(0);
    for (const sql of ['', '   ', '-- a comment']) {
      await expect(d.execute(sql)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringMatching(/empty/),
      });
    }
    const tx = await d.beginTransaction();
    await d.execute('SAVEPOINT s', [], { transaction: tx });
    await d.create('note', { id: 'gone', body: 'x' }, { transaction: tx });
    await d.execute('ROLLBACK TO s', [], { transaction: tx });
    await d.execute('RELEASE s', [], { transaction: tx });
    await expect(d.execute('COMMIT', [], { transaction: tx })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    await d.commit(tx);
    expect(await d.count('note', {})).toBe(0);
  });
});

describe('given urls that do not say what they seem to', () => {
  const sandbox = useSandbox();

  it('should refuse "file:" without a path, and open "?mode=ro" read-only', async () => {
    expect(() => new TursoDriver({ url: 'file:' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR' }),
    );
    const file = path.join(sandbox.dir(), 'ro.db');
    const writer = sandbox.driver({ url: `file:${file}` });
    await writer.init([NOTE]);
    await writer.create('note', { body: 'kept' });
    await writer.disconnect();
    const reader = sandbox.driver({ url: `file:${file}?mode=ro` });
    expect((await reader.find('note', {})).map((r) => r.body)).toEqual(['kept']);
    await expect(reader.create('note', { body: 'refused' })).rejects.toMatchObject({ code: 'QUERY_ERROR' });
    expect(await reader.count('note', {})).toBe(1);
  });
});

describe('given a process that dies with a scratch file of :memory: in place', () => {
  it("should have the next process sweep dead processes' files and leave live ones", () => {
    const dir = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
    // Beyond Linux's pid range: certainly not running.
    const dead = path.join(dir, 'objectql-memory-4194305-0-deadbeef.db');
    const live = path.join(dir, `objectql-memory-${process.pid}-0-alive123.db`);
    fs.writeFileSync(dead, '');
    fs.writeFileSync(`${dead}-wal`, '');
    fs.writeFileSync(live, '');
    try {
      node(`
        const { TursoDriver } = require(${JSON.stringify(ROOT)});
        (async () => {
          const d = new TursoDriver({ url: ':memory:' });
          await d.init([{ name: 'n', fields: {} }]);
          await d.commit(await d.beginTransaction()); // moves :memory: to a scratch file
          await d.disconnect();
        })();
      `);
      expect(fs.existsSync(dead)).toBe(false);
      expect(fs.existsSync(`${dead}-wal`)).toBe(false);
      expect(fs.existsSync(live)).toBe(true);
    } finally {
      for (const f of [dead, `${dead}-wal`, live]) fs.rmSync(f, { force: true });
    }
  });
});

describe('given text another program stored that is not UTF-8', () => {
  it('should report a QUERY_ERROR on every read, and print no panic report', () => {
    const { stdout, stderr } = node(`
      const { TursoDriver } = require(${JSON.stringify(ROOT)});
      (async () => {
        const d = new TursoDriver({ url: ':memory:' });
        await d.init([{ name: 'n', fields: { body: { type: 'text' } } }]);
        await d.execute("INSERT INTO n (id, body) VALUES ('bad', CAST(x'ff' AS TEXT))");
        const codes = new Set();
        for (let i = 0; i < 100; i++) await d.find('n', {}).catch((e) => codes.add(e.code));
        process.stdout.write([...codes].join(','));
        process.stderr.write('');
      })();
    `);
    expect(stdout).toBe('QUERY_ERROR');
    expect(stderr).not.toMatch(/panicked|RUST_BACKTRACE/);
  });
});
