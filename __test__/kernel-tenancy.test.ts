// Row-level tenancy through a real ObjectStack kernel, as an app calls it: requests carry
// `context.tenantId`, the engine passes it to the driver (`buildDriverOptions`), and the
// driver scopes and stamps. Each scenario also runs on the kernel's own TypeScript driver
// (Node 20: its better-sqlite3 is built for it), the reference the answers must equal,
// and on a libSQL server, where the answers must equal the file's.

import { Kernel, KernelSetup, kernelNodes, useKernels } from './support/kernel';
import { startSqld, type Sqld } from './support/sqld';

const DEAL = {
  name: 'deal',
  fields: { title: { type: 'text', required: true }, amount: { type: 'number' } },
};

/** Titles of rows, sorted (ids differ between runs). */
const titles = (rows: Array<{ title: string }>): string[] => rows.map((r) => r.title).sort();

/** Tenants A and B, and a row shared by all (no tenant), each call kind in turn. */
async function everyCall(k: Kernel) {
  const a = k.as({ tenantId: 'A' });
  const b = k.as({ tenantId: 'B' });
  const a1 = await a.insert('deal', { title: 'a1', amount: 1 });
  await a.insert('deal', { title: 'a2', amount: 2 });
  const b1 = await b.insert('deal', { title: 'b1', amount: 10 });
  await k.ql.insert('deal', { title: 'shared', amount: 100 });
  const stamped = (await k.ql.find('deal', { orderBy: [{ field: 'title', order: 'asc' }] })).map(
    (r: { title: string; organization_id: string | null }) => [r.title, r.organization_id],
  );
  const out: Record<string, unknown> = { stamped };
  out.aFind = titles(await a.find('deal', {}));
  out.bFind = titles(await b.find('deal', {}));
  out.aFindOneB = await a.findOne('deal', { where: { id: b1.id } });
  out.aFindOneOwn = (await a.findOne('deal', { where: { id: a1.id } }))?.title;
  out.aCount = await a.count('deal', {});
  out.aCountFiltered = await a.count('deal', { where: { amount: { $gte: 10 } } });
  out.aSum = await a.aggregate('deal', {
    aggregations: [{ function: 'sum', field: 'amount', alias: 'total' }],
  });
  const fail = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: { code?: string; status?: number }) => `${e.code}/${e.status}`,
    );
  out.aUpdateB = await fail(a.update('deal', { amount: 0 }, { where: { id: b1.id } }));
  out.aDeleteB = await fail(a.delete('deal', { where: { id: b1.id } }));
  out.aUpdateMany = await a.update('deal', { amount: 7 }, { where: { amount: { $gte: 0 } }, multi: true });
  out.afterUpdateMany = (await k.ql.find('deal', { orderBy: [{ field: 'title', order: 'asc' }] })).map(
    (r: { title: string; amount: number }) => [r.title, r.amount],
  );
  const batch = await a.insert('deal', [{ title: 'a3' }, { title: 'a4', organization_id: '' }]);
  out.batchTenants = batch.map((r: { organization_id: string }) => r.organization_id);
  await k.transaction([{ method: 'insert', args: ['deal', { title: 'a5' }] }], { tenantId: 'A' });
  out.txTenant = (await k.ql.findOne('deal', { where: { title: 'a5' } }))?.organization_id;
  await k.transaction(
    [{ method: 'insert', args: ['deal', { title: 'a6' }] }],
    { tenantId: 'A' },
    { fail: true },
  );
  out.rolledBack = await k.ql.count('deal', { where: { title: 'a6' } });
  out.aDeleteMany = await a.delete('deal', { where: { title: { $ne: 'none' } }, multi: true });
  out.left = titles(await k.ql.find('deal', {}));
  return out;
}

async function declarations(k: Kernel) {
  const a = k.as({ tenantId: 'A' });
  const b = k.as({ tenantId: 'B' });
  const out: Record<string, unknown> = {};
  const own = await a.insert('own_field', { title: 'x' });
  out.ownStamp = [own.org, own.organization_id ?? null];
  out.ownForB = await b.count('own_field', {});
  await a.insert('global_list', { title: 'x' });
  await k.ql.insert('global_list', { title: 'y', organization_id: 'B' });
  out.optOutForA = await a.count('global_list', {});
  out.optOutStamp = (await a.findOne('global_list', { where: { title: 'x' } }))?.organization_id ?? null;
  return out;
}

const DECLARED = [
  {
    name: 'own_field',
    fields: { title: { type: 'text' }, org: { type: 'text' } },
    tenancy: { tenantField: 'org' },
  },
  // The engine adds no organization_id to an opted-out object; declared, it is a plain field.
  {
    name: 'global_list',
    fields: { title: { type: 'text' }, organization_id: { type: 'text' } },
    tenancy: { enabled: false },
  },
];

describe.each(kernelNodes())('given a kernel app with two tenants ($label)', ({ path: node }) => {
  const kernels = useKernels();
  const start = (setup: Omit<KernelSetup, 'node'>) => kernels.start({ ...setup, node });

  it('should keep each tenant to its rows and shared ones through every ql call, and stamp inserts', async () => {
    const out = await everyCall(await start({ objects: [DEAL] }));
    expect(out.stamped).toEqual([
      ['a1', 'A'],
      ['a2', 'A'],
      ['b1', 'B'],
      ['shared', null],
    ]);
    expect(out.aFind).toEqual(['a1', 'a2', 'shared']);
    expect(out.bFind).toEqual(['b1', 'shared']);
    expect(out.aFindOneB).toBeNull();
    expect(out.aFindOneOwn).toBe('a1');
    expect(out.aCount).toBe(3);
    expect(out.aCountFiltered).toBe(1);
    expect(out.aSum).toEqual([{ total: 103 }]);
    // A by-id write of another tenant's row finds nothing (the engine's 404).
    expect(out.aUpdateB).toBe('RECORD_NOT_FOUND/404');
    expect(out.aDeleteB).toBe('RECORD_NOT_FOUND/404');
    expect(out.aUpdateMany).toBe(3);
    expect(out.afterUpdateMany).toEqual([
      ['a1', 7],
      ['a2', 7],
      ['b1', 10],
      ['shared', 7],
    ]);
    expect(out.batchTenants).toEqual(['A', 'A']);
    expect(out.txTenant).toBe('A');
    expect(out.rolledBack).toBe(0);
    expect(out.aDeleteMany).toBe(6);
    expect(out.left).toEqual(['b1']);
  });

  it('should honour tenancy declarations: a declared tenant field, and an opt-out', async () => {
    const out = await declarations(await start({ objects: DECLARED }));
    expect(out).toEqual({ ownStamp: ['A', null], ownForB: 0, optOutForA: 2, optOutStamp: null });
  });

  it('should scope the group posture to every tenant of the group', async () => {
    const k = await start({ objects: [DEAL] });
    for (const t of ['A', 'B', 'C']) await k.as({ tenantId: t }).insert('deal', { title: t });
    // The engine fills `tenantIds` only under a `group` posture provider; the driver
    // receives it as below.
    const rows = await k.driver('find', 'deal', {}, { tenantId: 'A', tenantIds: ['A', 'B'] });
    expect(titles(rows)).toEqual(['A', 'B']);
    expect(await k.driver('count', 'deal', {}, { tenantId: 'C' })).toBe(1);
  });
});

describe('given the kernel TypeScript Turso driver as the reference (node 20)', () => {
  const kernels = useKernels();

  it('should answer every tenancy scenario exactly as this driver does', async () => {
    const scenarios: Array<[(k: Kernel) => Promise<Record<string, unknown>>, object[]]> = [
      [everyCall, [DEAL]],
      [declarations, DECLARED],
    ];
    for (const [scenario, objects] of scenarios) {
      const dir = kernels.dir();
      const native = await kernels.start({ objects, url: `file:${dir}/native-${scenario.name}.db` });
      const reference = await kernels.start({
        objects,
        driver: 'reference',
        url: `file:${dir}/reference-${scenario.name}.db`,
      });
      expect(await scenario(native)).toEqual(await scenario(reference));
    }
  });
});

describe('given the same kernel app on a libSQL server (node 20)', () => {
  const kernels = useKernels();
  const servers: Sqld[] = [];
  afterAll(async () => {
    await Promise.all(servers.splice(0).map((server) => server.dispose()));
  });

  it('should answer every tenancy scenario as it does on a file', async () => {
    const scenarios: Array<[(k: Kernel) => Promise<Record<string, unknown>>, object[]]> = [
      [everyCall, [DEAL]],
      [declarations, DECLARED],
    ];
    for (const [scenario, objects] of scenarios) {
      const server = await startSqld();
      servers.push(server);
      const remote = await kernels.start({ objects, url: server.url });
      const local = await kernels.start({ objects, url: `file:${kernels.dir()}/local-${scenario.name}.db` });
      expect(await scenario(remote)).toEqual(await scenario(local));
    }
  });
});
