'use strict';

// The kernel's `[tenant-audit]`: a write to a tenant-scoped object without
// `options.tenantId`, on a deployment that asked for an organization wall, is almost always
// a system, seed or admin path that forgot its session's tenant. Such a write is not
// scoped (by design: those paths need it), so it is said, once per object and operation.
// The posture is read live from the environment on every such write (never memoised: a
// later boot phase may set it), as the kernel reads it: `OS_TENANCY_POSTURE`
// (`isolated`, its alias `multi`, and `group` wall; `single` does not), else the legacy
// `OS_MULTI_ORG_ENABLED`. `OS_TENANT_AUDIT=0` or `options.bypassTenantAudit` silences it.

const WALLED = new Set(['isolated', 'multi', 'group']);
const TRUTHY = new Set(['1', 'true', 'on', 'yes']);

/** Whether the deployment asked for an organization wall. */
function walled() {
  const posture = String(process.env.OS_TENANCY_POSTURE ?? '')
    .trim()
    .toLowerCase();
  if (posture !== '') return WALLED.has(posture);
  return TRUTHY.has(
    String(process.env.OS_MULTI_ORG_ENABLED ?? '')
      .trim()
      .toLowerCase(),
  );
}

class TenantAudit {
  /** `${object}:${op}` already said. */
  #said = new Set();

  /**
   * Says a tenantless write of `op` on `object` to `logger` when it is one to say;
   * `tenantField(object)` answers the object's tenant field (or null).
   */
  check(object, op, options, tenantField, logger) {
    if (process.env.OS_TENANT_AUDIT === '0') return;
    if (options?.bypassTenantAudit === true) return;
    const tenantId = options?.tenantId;
    if (tenantId !== undefined && tenantId !== null && tenantId !== '') return;
    if (typeof object !== 'string' || !walled()) return;
    const field = tenantField(object);
    if (!field) return;
    const key = `${object}:${op}`;
    if (this.#said.has(key)) return;
    this.#said.add(key);
    try {
      logger.warn(
        `[tenant-audit] ${op} on tenant-scoped object "${object}" without options.tenantId — writes will ` +
          'not be tenant-isolated. Pass tenantId via ExecutionContext or set bypassTenantAudit:true to silence.',
        { object, op, tenantField: field },
      );
    } catch {
      // A logger that throws must not fail the write it reports on.
    }
  }
}

module.exports = { TenantAudit };
