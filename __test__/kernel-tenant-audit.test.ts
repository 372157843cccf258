// The kernel's `[tenant-audit]`: on a deployment that asked for an organization wall
// (`OS_TENANCY_POSTURE` isolated or group, or the legacy `OS_MULTI_ORG_ENABLED`), a write to
// a tenant-scoped object without `options.tenantId` is said to the driver's logger, once per
// object and operation. The posture is read at each such write, never remembered.

import { useSandbox } from './util';

const ACCOUNT = { name: 'account', fields: { organization_id: { type: 'text' }, name: { type: 'text' } } };
const NOTE = { name: 'note', fields: { body: { type: 'text' } } };
const ENV = ['OS_TENANCY_POSTURE', 'OS_MULTI_ORG_ENABLED', 'OS_TENANT_AUDIT'] as const;

describe('given the kernel contract and writes without a tenant', () => {
  const sandbox = useSandbox();
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const k of ENV) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterEach(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  async function boot() {
    const seen: Array<{ message: string; meta: unknown }> = [];
    const driver = sandbox.driver({
      url: sandbox.fileUrl(),
      contract: 'objectstack',
      logger: { warn: (message: string, meta?: unknown) => void seen.push({ message, meta }) },
    });
    await driver.initObjects([ACCOUNT, NOTE]);
    return { driver, audits: () => seen.filter((w) => w.message.startsWith('[tenant-audit]')) };
  }

  it.each([
    [{ OS_TENANCY_POSTURE: 'isolated' }, 1],
    [{ OS_TENANCY_POSTURE: 'group' }, 1],
    [{ OS_MULTI_ORG_ENABLED: 'true' }, 1],
    [{ OS_TENANCY_POSTURE: 'isolated', OS_MULTI_ORG_ENABLED: 'false' }, 1],
    [{ OS_TENANCY_POSTURE: 'single' }, 0],
    [{}, 0],
    [{ OS_TENANCY_POSTURE: 'isolated', OS_TENANT_AUDIT: '0' }, 0],
  ])('should say a tenantless create under %j %i time(s)', async (env, times) => {
    Object.assign(process.env, env);
    const { driver, audits } = await boot();
    await driver.create('account', { name: 'a' });
    await driver.create('account', { name: 'b' });
    expect(audits()).toHaveLength(times);
    if (times > 0) {
      expect(audits()[0].meta).toEqual({ object: 'account', op: 'create', tenantField: 'organization_id' });
    }
  });

  it('should stay quiet for a write with its tenant, with bypassTenantAudit, and on objects without a tenant', async () => {
    process.env.OS_TENANCY_POSTURE = 'isolated';
    const { driver, audits } = await boot();
    await driver.create('account', { name: 'a' }, { tenantId: 'org_a' });
    await driver.create('account', { name: 'b' }, { bypassTenantAudit: true });
    await driver.create('note', { body: 'n' });
    expect(audits()).toEqual([]);
  });

  it('should read the posture at each write, and say each operation once', async () => {
    process.env.OS_TENANCY_POSTURE = 'single';
    const { driver, audits } = await boot();
    const row = await driver.create('account', { name: 'a' });
    expect(audits()).toEqual([]);
    process.env.OS_TENANCY_POSTURE = 'isolated';
    await driver.update('account', row.id as string, { name: 'b' });
    await driver.updateMany('account', { where: { name: 'b' } }, { name: 'c' });
    await driver.delete('account', row.id as string);
    expect(audits().map((w) => (w.meta as { op: string }).op)).toEqual(['update', 'updateMany', 'delete']);
  });
});
