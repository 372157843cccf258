// Database per tenant inside a real ObjectStack kernel: TursoDriverPlugin({ multiTenant })
// registers one driver service; every ql call of a tenant reads and writes that tenant's
// file only, calls without a tenant reach the control file, and the engine's own system
// calls inside a tenant's operation (the reference check before an insert, expand) stay in
// that tenant. Checked by opening the files directly.

import * as fs from 'fs';
import * as path from 'path';

import { TursoDriver } from '..';
import { kernelNodes, useKernels, type Kernel, type KernelSetup } from './support/kernel';

const ACCOUNT = { name: 'account', fields: { name: { type: 'text' } } };
const CONTACT = {
  name: 'contact',
  fields: { name: { type: 'text' }, account: { type: 'lookup', reference: 'account' } },
};
const TICKET = {
  name: 'ticket',
  fields: { no: { type: 'autonumber', autonumberFormat: 'T-{000}' }, title: { type: 'text' } },
};
const OBJECTS = [ACCOUNT, CONTACT, TICKET];

type Row = Record<string, unknown>;

/** The values of `column` in `table` of the database at `file`, read outside the kernel. */
async function column(file: string, table: string, name: string): Promise<unknown[]> {
  if (!fs.existsSync(file)) return [];
  const driver = new TursoDriver({ url: `file:${file}` });
  try {
    const tables = (await driver.execute(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, [
      table,
    ])) as {
      rows: Row[];
    };
    if (tables.rows.length === 0) return [];
    const out = (await driver.execute(`SELECT "${name}" AS v FROM "${table}" ORDER BY 1`)) as { rows: Row[] };
    return out.rows.map((r) => r.v);
  } finally {
    await driver.disconnect();
  }
}

describe.each(kernelNodes())('given a multi-tenant kernel app ($label)', ({ path: node }) => {
  const kernels = useKernels();
  let dir: string;
  const file = (name: string) => path.join(dir, `${name}.db`);

  async function start(extra: Partial<KernelSetup> = {}): Promise<Kernel> {
    dir = kernels.dir();
    return kernels.start({
      objects: OBJECTS,
      node,
      plugin: {
        multiTenant: { urlTemplate: `file:${dir}/{tenant}.db`, controlUrl: `file:${dir}/control.db` },
      },
      ...extra,
    });
  }

  it('should keep every ql call of a tenant in its own file, and calls without one in the control file', async () => {
    const k = await start();
    const a = k.as({ tenantId: 'tenant-a' });
    const b = k.as({ tenantId: 'tenant-b' });

    const acme = await a.insert('account', { name: 'acme' });
    await a.insert('account', { name: 'apex' });
    // The engine checks the reference with a system call that names no tenant.
    const ann = await a.insert('contact', { name: 'ann', account: acme.id });
    const bolt = await b.insert('account', { name: 'bolt' });
    await b.insert('contact', { name: 'bob', account: bolt.id });
    await k.ql.insert('account', { name: 'system' });

    expect((await a.find('account', {})).map((r: Row) => r.name).sort()).toEqual(['acme', 'apex']);
    expect((await b.find('account', {})).map((r: Row) => r.name)).toEqual(['bolt']);
    expect((await k.ql.find('account', {})).map((r: Row) => r.name)).toEqual(['system']);
    expect(await a.findOne('account', { where: { name: 'acme' } })).toMatchObject({ id: acme.id });
    expect(await b.findOne('account', { where: { name: 'acme' } })).toBeNull();
    expect(await a.count('account', {})).toBe(2);
    expect(await b.count('account', {})).toBe(1);
    const sums = await a.aggregate('account', {
      groupBy: ['name'],
      aggregations: [{ function: 'count', alias: 'n' }],
    });
    expect(sums.map((r: Row) => r.name).sort()).toEqual(['acme', 'apex']);

    // Expand reads the referenced object in the same tenant.
    const [withAccount] = await a.find('contact', { where: { id: ann.id }, expand: { account: {} } });
    expect(withAccount.account).toMatchObject({ id: acme.id, name: 'acme' });

    await a.update('account', { name: 'acme-2' }, { where: { id: acme.id } });
    // Another tenant's id is not found in this tenant's database.
    await expect(b.update('account', { name: 'stolen' }, { where: { id: acme.id } })).rejects.toMatchObject({
      message: expect.stringContaining('not found'),
    });
    await a.update('account', { name: 'apex-2' }, { where: { name: 'apex' }, multi: true });
    await expect(b.delete('account', { where: { id: acme.id } })).rejects.toMatchObject({
      message: expect.stringContaining('not found'),
    });
    await a.delete('contact', { where: { id: ann.id } });

    expect(await column(file('tenant-a'), 'account', 'name')).toEqual(['acme-2', 'apex-2']);
    expect(await column(file('tenant-a'), 'contact', 'name')).toEqual([]);
    expect(await column(file('tenant-b'), 'account', 'name')).toEqual(['bolt']);
    expect(await column(file('tenant-b'), 'contact', 'name')).toEqual(['bob']);
    expect(await column(file('control'), 'account', 'name')).toEqual(['system']);

    await a.delete('account', { where: { name: { $in: ['acme-2', 'apex-2'] } }, multi: true });
    expect(await column(file('tenant-a'), 'account', 'name')).toEqual([]);
    expect(await column(file('tenant-b'), 'account', 'name')).toEqual(['bolt']);
  });

  it('should bind ql.transaction to the tenant of its first call, roll back there, and refuse another tenant inside it', async () => {
    const k = await start();
    await k.transaction(
      [
        { method: 'insert', args: ['account', { name: 'one' }] },
        { method: 'insert', args: ['account', { name: 'two' }] },
      ],
      { tenantId: 'tenant-a' },
    );
    await k.transaction(
      [{ method: 'insert', args: ['account', { name: 'gone' }] }],
      { tenantId: 'tenant-a' },
      { fail: true },
    );
    expect(await column(file('tenant-a'), 'account', 'name')).toEqual(['one', 'two']);

    const crossing = k.transaction(
      [
        { method: 'insert', args: ['account', { name: 'first' }] },
        { method: 'insert', args: ['account', { name: 'elsewhere' }], context: { tenantId: 'tenant-b' } },
      ],
      { tenantId: 'tenant-a' },
    );
    await expect(crossing).rejects.toMatchObject({
      message: expect.stringContaining("belongs to tenant 'tenant-a'"),
    });
    // Nothing of it stayed, in either file.
    expect(await column(file('tenant-a'), 'account', 'name')).toEqual(['one', 'two']);
    expect(await column(file('tenant-b'), 'account', 'name')).toEqual([]);
  });

  it('should number autonumbers per tenant database and sync the schema into tenants opened later', async () => {
    const k = await start();
    const no = async (tenant: string) =>
      (await k.as({ tenantId: tenant }).insert('ticket', { title: 'x' })).no;
    expect([await no('tenant-a'), await no('tenant-a'), await no('tenant-b')]).toEqual([
      'T-001',
      'T-002',
      'T-001',
    ]);
    expect(await column(file('tenant-b'), 'ticket', 'no')).toEqual(['T-001']);
    // A tenant first seen now gets every table.
    await k.as({ tenantId: 'tenant-late' }).insert('contact', { name: 'late' });
    expect(await column(file('tenant-late'), 'contact', 'name')).toEqual(['late']);
  });

  it('should refuse a tenant id outside the rule before any file is made', async () => {
    const k = await start();
    await expect(k.as({ tenantId: '../escape' }).insert('account', { name: 'x' })).rejects.toMatchObject({
      message: expect.stringContaining('Invalid tenantId'),
    });
    expect(
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.db'))
        .sort(),
    ).toEqual(['control.db']);
  });
});
