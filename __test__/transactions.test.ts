import { TursoDriver, type DataRecord } from '..';
import { DB_KINDS, byKey, expectPendingWhileEventLoopRuns, urlFor, useSandbox } from './util';

const ACCOUNTS = {
  name: 'accounts',
  fields: {
    owner: { type: 'text', required: true },
    balance: { type: 'integer' },
    vip: { type: 'boolean' },
    meta: { type: 'json' },
  },
};

describe.each(DB_KINDS)('given an accounts table and a transaction (%s)', (kind) => {
  const sandbox = useSandbox(kind);
  let d: TursoDriver;

  beforeEach(async () => {
    d = sandbox.driver({ url: urlFor(sandbox, kind) });
    if (kind === 'file') {
      const mode = await d.execute('PRAGMA journal_mode = WAL');
      expect(String(mode.rows[0].journal_mode).toLowerCase()).toBe('wal');
    }
    await d.init([ACCOUNTS]);
    await d.bulkCreate('accounts', [
      { id: 'a', owner: 'Alice', balance: 100 },
      { id: 'b', owner: 'Bob', balance: 50 },
    ]);
  });

  const snapshot = async (): Promise<DataRecord[]> => byKey(await d.find('accounts', {}));

  it('should let the transaction read its own writes', async () => {
    const tx = await d.beginTransaction();
    expect(typeof tx.id).toBe('number');
    await d.create(
      'accounts',
      { id: 'c', owner: 'Carol', balance: 10, meta: { k: 1 }, vip: true },
      { transaction: tx },
    );
    await d.update('accounts', 'a', { balance: 90 }, { transaction: tx });
    expect(await d.findOne('accounts', 'c', undefined, { transaction: tx })).toMatchObject({
      meta: { k: 1 },
      vip: true,
    });
    expect(await d.findOne('accounts', 'a', undefined, { transaction: tx })).toMatchObject({ balance: 90 });
    await expect(d.count('accounts', {}, { transaction: tx })).resolves.toBe(3);
    expect(await d.find('accounts', { where: { balance: { $lt: 60 } } }, { transaction: tx })).toHaveLength(
      2,
    );
    await d.commit(tx);
  });

  it('should hide uncommitted writes from work outside it, and show them after commit', async () => {
    const before = await snapshot();
    const tx = await d.beginTransaction();
    await d.create('accounts', { id: 'c', owner: 'Carol', balance: 10 }, { transaction: tx });
    await d.update('accounts', 'a', { balance: 0 }, { transaction: tx });
    await d.delete('accounts', 'b', { transaction: tx });

    await expect(d.findOne('accounts', 'c')).resolves.toBeNull();
    await expect(d.count('accounts', {})).resolves.toBe(2);
    expect(await d.findOne('accounts', 'a')).toMatchObject({ balance: 100 });
    expect(await d.findOne('accounts', 'b')).toMatchObject({ owner: 'Bob' });
    expect(await snapshot()).toEqual(before);

    await d.commit(tx);

    expect(await d.findOne('accounts', 'c')).toMatchObject({
      owner: 'Carol',
      balance: 10,
    });
    expect(await d.findOne('accounts', 'a')).toMatchObject({ balance: 0 });
    await expect(d.findOne('accounts', 'b')).resolves.toBeNull();
    await expect(d.count('accounts', {})).resolves.toBe(2);
  });

  it('should leave nothing of a rolled-back transaction, whichever method wrote', async () => {
    const before = await snapshot();
    const tx = await d.beginTransaction();
    const opts = { transaction: tx };
    await d.create('accounts', { id: 'c', owner: 'Carol' }, opts);
    await d.update('accounts', 'a', { balance: 1 }, opts);
    await d.upsert('accounts', { id: 'b', owner: 'Bobby' }, opts);
    await d.bulkCreate(
      'accounts',
      [
        { id: 'd', owner: 'Dan' },
        { id: 'e', owner: 'Eve' },
      ],
      opts,
    );
    await d.bulkUpdate('accounts', [{ id: 'd', data: { balance: 7 } }], opts);
    await d.bulkDelete('accounts', ['e'], opts);
    await d.updateMany('accounts', { owner: 'Dan' }, { vip: true }, opts);
    await d.deleteMany('accounts', { owner: 'Carol' }, opts);
    await d.execute('UPDATE "accounts" SET "balance" = ? WHERE "id" = ?', [999, 'a'], opts);
    await d.executeCommand({ type: 'create', object: 'accounts', data: { id: 'f', owner: 'Fay' } }, opts);
    expect(byKey(await d.find('accounts', {}, opts)).map((r) => r.id)).toEqual(['a', 'b', 'd', 'f']);
    await expect(d.distinct('accounts', 'owner', undefined, opts)).resolves.toHaveLength(4);

    await d.rollback(tx);

    expect(await snapshot()).toEqual(before);
  });

  it('should support the commitTransaction and rollbackTransaction aliases', async () => {
    const tx1 = await d.beginTransaction();
    await d.create('accounts', { id: 'kept', owner: 'K' }, { transaction: tx1 });
    await d.commitTransaction(tx1);
    const tx2 = await d.beginTransaction();
    await d.create('accounts', { id: 'gone', owner: 'G' }, { transaction: tx2 });
    await d.rollbackTransaction(tx2);
    await expect(d.findOne('accounts', 'kept')).resolves.toMatchObject({
      owner: 'K',
    });
    await expect(d.findOne('accounts', 'gone')).resolves.toBeNull();
  });

  it('should run one transaction after another', async () => {
    for (let i = 0; i < 3; i++) {
      const tx = await d.beginTransaction();
      await d.create('accounts', { id: `t${i}`, owner: `T${i}` }, { transaction: tx });
      await d.commit(tx);
    }
    await expect(d.count('accounts', {})).resolves.toBe(5);
  });

  it('should keep a write outside the transaction pending, without blocking, until commit', async () => {
    const tx = await d.beginTransaction();
    await d.update('accounts', 'a', { balance: 1 }, { transaction: tx });

    const outside = d.create('accounts', {
      id: 'out',
      owner: 'Outsider',
      balance: 5,
    });
    await expectPendingWhileEventLoopRuns(outside);

    await d.commit(tx);
    await expect(outside).resolves.toMatchObject({
      id: 'out',
      owner: 'Outsider',
    });
    expect(await d.findOne('accounts', 'out')).toMatchObject({ balance: 5 });
    expect(await d.findOne('accounts', 'a')).toMatchObject({ balance: 1 });
  });

  it('should complete a pending outside write after a rollback too', async () => {
    const tx = await d.beginTransaction();
    await d.create('accounts', { id: 'inside', owner: 'In' }, { transaction: tx });

    const outside = d.updateMany('accounts', { owner: 'Bob' }, { balance: 51 });
    await expectPendingWhileEventLoopRuns(outside);

    await d.rollback(tx);
    await expect(outside).resolves.toMatchObject({ affected: 1 });
    await expect(d.findOne('accounts', 'inside')).resolves.toBeNull();
    expect(await d.findOne('accounts', 'b')).toMatchObject({ balance: 51 });
  });

  it('should reject the use of a committed handle with DRIVER_ERROR', async () => {
    const tx = await d.beginTransaction();
    await d.create('accounts', { id: 'c', owner: 'Carol' }, { transaction: tx });
    await d.commit(tx);
    await expect(
      d.create('accounts', { id: 'late', owner: 'Late' }, { transaction: tx }),
    ).rejects.toMatchObject({
      code: 'DRIVER_ERROR',
      name: 'ObjectQLError',
    });
    await expect(d.find('accounts', {}, { transaction: tx })).rejects.toMatchObject({ code: 'DRIVER_ERROR' });
    await expect(d.commit(tx)).rejects.toMatchObject({
      code: 'DRIVER_ERROR',
    });
    await expect(d.findOne('accounts', 'late')).resolves.toBeNull();
    await expect(d.findOne('accounts', 'c')).resolves.toMatchObject({
      owner: 'Carol',
    });
  });

  it('should reject the use of a rolled-back handle with DRIVER_ERROR', async () => {
    const tx = await d.beginTransaction();
    await d.rollback(tx);
    await expect(d.update('accounts', 'a', { balance: 0 }, { transaction: tx })).rejects.toMatchObject({
      code: 'DRIVER_ERROR',
    });
    expect(await d.findOne('accounts', 'a')).toMatchObject({ balance: 100 });
  });

  it('should keep the transaction usable after a statement inside it fails', async () => {
    const tx = await d.beginTransaction();
    await d.create('accounts', { id: 'c', owner: 'Carol' }, { transaction: tx });
    await expect(d.create('accounts', { id: 'x' }, { transaction: tx })).rejects.toMatchObject({
      name: 'ObjectQLError',
    });
    await d.create('accounts', { id: 'd', owner: 'Dan' }, { transaction: tx });
    await d.commit(tx);
    expect(byKey(await d.find('accounts', {})).map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('should roll back a failed bulkCreate inside the transaction without losing earlier work', async () => {
    const tx = await d.beginTransaction();
    await d.create('accounts', { id: 'c', owner: 'Carol' }, { transaction: tx });
    await expect(
      d.bulkCreate('accounts', [{ id: 'd', owner: 'Dan' }, { id: 'e' }, { id: 'f', owner: 'Fay' }], {
        transaction: tx,
      }),
    ).rejects.toMatchObject({ name: 'ObjectQLError' });
    await d.commit(tx);
    expect(byKey(await d.find('accounts', {})).map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('given a WAL file shared by two drivers', () => {
  const sandbox = useSandbox();

  it('should show a transaction of one to the other only after commit', async () => {
    const url = sandbox.fileUrl();
    const writer = sandbox.driver({ url });
    await writer.execute('PRAGMA journal_mode = WAL');
    await writer.init([ACCOUNTS]);
    const reader = sandbox.driver({ url });
    const tx = await writer.beginTransaction();
    await writer.create('accounts', { id: 'a', owner: 'Alice' }, { transaction: tx });
    await expect(reader.count('accounts', {})).resolves.toBe(0);
    const readerWrite = reader.create('accounts', { id: 'r', owner: 'Reader' });
    await expectPendingWhileEventLoopRuns(readerWrite);
    await writer.commit(tx);
    await readerWrite;
    expect(byKey(await reader.find('accounts', {})).map((r) => r.id)).toEqual(['a', 'r']);
  });
});
