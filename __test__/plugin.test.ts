import { execFileSync } from 'child_process';
import * as path from 'path';

import { TursoDriverPlugin } from '..';
import { useSandbox } from './util';

/** Runs `fixtures/kernel-app.js` (the real kernel, in its own Node process) on `file`. */
function kernelApp(file: string, mode: 'write' | 'read'): any {
  const script = path.join(__dirname, 'fixtures', 'kernel-app.js');
  const stdout = execFileSync(process.execPath, [script, file, mode], { encoding: 'utf8', timeout: 60_000 });
  // The kernel logs to stdout too: the result follows the last marker.
  const marker = stdout.lastIndexOf('@@result@@');
  if (marker < 0) throw new Error(`kernel-app printed no result:\n${stdout}`);
  return JSON.parse(stdout.slice(marker + '@@result@@'.length));
}

describe('given TursoDriverPlugin configurations', () => {
  it('should refuse a plugin with neither or both modes with CONFIG_ERROR', () => {
    expect(() => new TursoDriverPlugin({} as never)).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR' }),
    );
    expect(() => new TursoDriverPlugin({} as never)).toThrow(/requires either/);
    expect(
      () =>
        new TursoDriverPlugin({
          connection: { url: ':memory:' },
          multiTenant: { urlTemplate: 'file:{tenant}' },
        }),
    ).toThrow(/mutually exclusive/);
  });

  it('should say which accessor is unavailable', () => {
    const plugin = new TursoDriverPlugin({ connection: { url: ':memory:' } });
    expect(plugin.name).toBe('@objectql/driver-turso');
    expect(() => plugin.getDriver()).toThrow(/No single-tenant driver/);
    expect(() => plugin.getRouter()).toThrow(/No multi-tenant router/);
  });
});

describe('given the ObjectStack kernel with ObjectQLPlugin and this plugin on a file', () => {
  const sandbox = useSandbox();

  it('should register driver.turso, serve the app through ql, and keep the data across a restart', () => {
    const file = path.join(sandbox.dir(), 'app.db');
    const run = kernelApp(file, 'write');
    expect(run.service).toBe(true);
    expect(run.found).toEqual([
      { title: 'c', n: 3 },
      { title: 'b', n: 2 },
    ]);
    expect(run.one).toMatchObject({ title: 'a', done: true, meta: { tags: ['x'] }, project: run.projectId });
    expect(run.updated).toMatchObject({ n: 10 });
    expect(run.updatedMany).toBe(2);
    expect(run.doneCount).toBe(3);
    expect(run.totals).toEqual([expect.objectContaining({ done: true, total: 15, tasks: 3 })]);
    // Computed in SQL now (supports.queryDateGranularity); groups in no promised order.
    expect(run.averages).toHaveLength(2);
    expect(run.averages).toEqual(
      expect.arrayContaining([
        { month: '2026-01', avg: 10 },
        { month: null, avg: 2.5 },
      ]),
    );
    expect(run.deleted).toBeTruthy();
    expect(run.rollback).toBe('undo');
    expect(run.afterTransactions).toEqual(['committed']);
    expect(run.deletedMany).toBe(1);
    expect(run.indexes).toContain('idx_task_n');
    expect(run.tasks).toBe(2);
    // destroy() disconnected the driver, so the process could exit (no open handles).
    const reopened = kernelApp(file, 'read');
    expect(reopened).toMatchObject({ tasks: 2, projects: 1 });
  });
});

describe('given the older ObjectQL runtime lifecycle', () => {
  const sandbox = useSandbox();

  it('should migrate on start with autoMigrate and apply generated migrations atomically', async () => {
    const plugin = new TursoDriverPlugin({
      connection: { url: sandbox.fileUrl('runtime.db') },
      autoMigrate: true,
      objects: [{ name: 'note', fields: { body: { type: 'text' } } }],
    } as never);
    plugin.install({});
    await plugin.onStart({});
    try {
      const driver = plugin.getDriver();
      expect(Object.keys((await driver.introspectSchema()).tables)).toContain('note');

      const migration = await plugin.generateMigration([
        {
          name: 'note',
          fields: { body: { type: 'text' }, pinned: { type: 'boolean', defaultValue: false } },
        },
        { name: 'tag', fields: { label: { type: 'text' } } },
      ]);
      expect(migration.up).toHaveLength(2);
      await plugin.applyMigration(migration);
      const tables = (await driver.introspectSchema()).tables;
      expect(tables.tag).toBeDefined();
      expect(tables.note.columns.map((c: { name: string }) => c.name)).toContain('pinned');

      // A failing statement leaves nothing of the migration behind.
      await expect(
        plugin.applyMigration({ up: ['CREATE TABLE "later" ("id" TEXT)', 'NOT SQL'], down: [], summary: [] }),
      ).rejects.toMatchObject({ code: 'QUERY_ERROR' });
      expect((await driver.introspectSchema()).tables.later).toBeUndefined();
    } finally {
      await plugin.onStop({});
    }
  });
});

describe('given the plugin in multi-tenant mode', () => {
  const sandbox = useSandbox();

  it('should make a router on onStart, refuse getDriver, and destroy every tenant on onStop', async () => {
    const deleted: string[] = [];
    const plugin = new TursoDriverPlugin({
      multiTenant: {
        urlTemplate: sandbox.fileUrl('{tenant}.db'),
        onTenantDelete: async (id: string) => void deleted.push(id),
      },
    });
    expect(() => plugin.getRouter()).toThrow(/not been started/);
    plugin.install();
    await plugin.onStart();
    expect(() => plugin.getDriver()).toThrow(
      expect.objectContaining({ code: 'DRIVER_ERROR', message: expect.stringMatching(/getRouter\(\)/) }),
    );
    const router = plugin.getRouter();
    const driver = await router.getDriverForTenant('tenant-one');
    await driver.init([{ name: 'note', fields: { body: { type: 'text' } } }]);
    // The 4.2.2 runtime's shapes: delete answers { deleted }.
    const note = await driver.create('note', { body: 'x' });
    expect(await driver.delete('note', note.id as string)).toEqual({ deleted: true });
    await plugin.onStop();
    expect(deleted).toEqual(['tenant-one']);
    expect(() => plugin.getRouter()).toThrow(/stopped \(onStop\)/);
  });

  it('should need a controlUrl under the kernel, where calls without a tenant go', () => {
    const plugin = new TursoDriverPlugin({ multiTenant: { urlTemplate: sandbox.fileUrl('{tenant}.db') } });
    const services = new Map<string, unknown>();
    expect(() => plugin.init({ registerService: (name, s) => services.set(name, s) })).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringContaining('controlUrl') }),
    );
    expect(services.size).toBe(0);
  });

  it('should refuse a bad router config at construction of the router', async () => {
    const plugin = new TursoDriverPlugin({ multiTenant: { urlTemplate: 'file:fixed.db' } });
    await expect(plugin.onStart()).rejects.toMatchObject({
      code: 'CONFIG_ERROR',
      message: expect.stringContaining('{tenant}'),
    });
  });
});
