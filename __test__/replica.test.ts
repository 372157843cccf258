// Embedded replicas (`url: 'file:...'` + `syncUrl`) against a real libSQL server: reads
// from the local file, writes through the primary and seen by the next read, sync(), the
// periodic sync's lifecycle, and reads while the primary is down.

import { spawnSync } from 'child_process';
import * as path from 'path';

import { TursoDriver } from '..';
import { startSqld, type Sqld } from './support/sqld';
import { useSandbox } from './util';

const NOTE = { name: 'note', fields: { body: { type: 'text' } } };
const ROOT = path.join(__dirname, '..');

describe('given an embedded replica of a libSQL server', () => {
  const sandbox = useSandbox();
  let primary: Sqld;

  beforeEach(async () => {
    primary = await startSqld();
  });
  afterEach(async () => {
    await primary.dispose();
  });

  const replica = (extra: object = {}) =>
    sandbox.driver({ url: sandbox.fileUrl('replica.db'), syncUrl: primary.url, ...extra });

  it('should read locally, write through the primary and see its own write on the next read', async () => {
    const writer = sandbox.driver({ url: primary.url });
    await writer.init([NOTE]);
    await writer.create('note', { body: 'from the primary' });

    const d = replica({ sync: { intervalSeconds: 0 } });
    expect(d.transportMode).toBe('replica');
    expect(d.isSyncEnabled()).toBe(true);
    await d.init([NOTE]);
    expect(await d.count('note', {})).toBe(1);

    const mine = await d.create('note', { body: 'through the replica' });
    expect(await d.findOne('note', mine.id as string)).toMatchObject({ body: 'through the replica' });
    expect(await writer.count('note', {})).toBe(2);

    await writer.create('note', { body: 'elsewhere' });
    expect(await d.count('note', {})).toBe(2);
    const synced = await d.sync();
    expect(synced).toEqual({ frame_no: expect.any(Number), frames_synced: expect.any(Number) });
    expect(synced!.frames_synced).toBeGreaterThan(0);
    expect(await d.count('note', {})).toBe(3);

    const tx = await d.beginTransaction();
    await d.create('note', { body: 'in a transaction' }, { transaction: tx });
    await d.commit(tx);
    expect(await d.count('note', {})).toBe(4);
  });

  it('should sync every intervalSeconds until disconnect(), and report a failed sync to onSyncError', async () => {
    const failures: unknown[] = [];
    const d = replica({ sync: { intervalSeconds: 0.05 }, onSyncError: (e: unknown) => failures.push(e) });
    let syncs = 0;
    const sync = d.sync.bind(d);
    d.sync = () => {
      syncs++;
      return sync();
    };
    await d.init([NOTE]);
    await d.create('note', { body: 'kept' });
    await new Promise((r) => setTimeout(r, 300));
    expect(syncs).toBeGreaterThan(1);

    // The primary goes away: the syncs fail and are reported; reads go on.
    await primary.stop();
    const deadline = Date.now() + 15_000;
    while (failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(failures[0]).toMatchObject({ code: 'DRIVER_CONNECTION_FAILED' });
    expect(await d.find('note', {})).toEqual([expect.objectContaining({ body: 'kept' })]);
    await expect(d.create('note', { body: 'no primary' })).rejects.toMatchObject({
      code: 'DRIVER_CONNECTION_FAILED',
    });

    await d.disconnect();
    const after = syncs;
    await new Promise((r) => setTimeout(r, 300));
    expect(syncs).toBe(after);
  });

  it('should not keep Node alive with its periodic sync', () => {
    // A script that never disconnects must still exit on its own.
    const script = `
      const { TursoDriver } = require(${JSON.stringify(ROOT)});
      const d = new TursoDriver({ url: ${JSON.stringify(sandbox.fileUrl('alive.db'))}, syncUrl: ${JSON.stringify(primary.url)}, sync: { intervalSeconds: 0.05 } });
      d.connect().then(() => d.count('sqlite_master', {}).catch(() => 0)).then(() => console.log('connected'));
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('connected');
    expect(run.status).toBe(0);
  });

  it('should refuse to open while the primary is down unless told to skip the first sync', async () => {
    const first = replica();
    await first.init([NOTE]);
    await first.create('note', { body: 'on file' });
    await first.disconnect();
    await primary.stop();

    await expect(replica().connect()).rejects.toMatchObject({
      code: 'DRIVER_CONNECTION_FAILED',
      message: expect.stringMatching(/onConnect: false/),
    });
    const offline = replica({ sync: { onConnect: false, intervalSeconds: 0 } });
    expect(await offline.find('note', {})).toEqual([expect.objectContaining({ body: 'on file' })]);
  });

  // A server url with a syncUrl is served as the server, with a warning, as 4.2.2 served it
  // (see drop-in-fixes.test.ts); a memory database has no file to replicate into.
  it('should refuse a replica of memory, naming syncUrl', () => {
    expect(() => new TursoDriver({ url: ':memory:', syncUrl: 'http://127.0.0.1:1' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringMatching(/syncUrl/) }),
    );
  });
});
