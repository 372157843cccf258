'use strict';

// TursoDriverPlugin: the driver as a plugin of both runtimes. The ObjectStack kernel
// calls init/start/destroy (and finds the driver as the `driver.<name>` service); the
// older ObjectQL runtime calls install/onStart/onStop. Both shapes share one driver.

const { TursoDriver, kMigrateOnSync } = require('./driver.js');
const { makeError } = require('./errors.js');
const { createMultiTenantRouter } = require('./router.js');
const { TenantRoutingDriver } = require('./tenant-driver.js');
const { generateMigration } = require('./helpers.js');
const { version } = require('../package.json');

const DEFAULT_SERVICE = 'driver.turso';

class TursoDriverPlugin {
  #config;
  #driver;
  /** Multi-tenant mode: the router, and (under the kernel) the driver service routing through it. */
  #router;
  #routing;
  /** The lifecycle call that stopped the plugin, once it has been stopped. */
  #stoppedAt;
  /** The engine middleware that follows tenants is registered. */
  #following = false;

  constructor(config = {}) {
    const { connection, multiTenant } = config ?? {};
    if (!connection && !multiTenant) {
      throw makeError(
        'CONFIG_ERROR',
        'TursoDriverPlugin requires either a "connection" (one database) or a "multiTenant" config.',
      );
    }
    if (connection && multiTenant) {
      throw makeError(
        'CONFIG_ERROR',
        'TursoDriverPlugin: "connection" and "multiTenant" are mutually exclusive; pass one of them.',
      );
    }
    this.#config = config;
    this.name = '@objectql/driver-turso';
    this.version = version;
  }

  /** The kernel service name the driver registers under (`driver.turso` by default). */
  get serviceName() {
    return this.#config.serviceName ?? DEFAULT_SERVICE;
  }

  // --- the ObjectStack kernel: init / start / destroy -------------------------------------

  init(ctx) {
    if (this.#config.multiTenant) {
      ctx.registerService(this.serviceName, this.#makeRouting());
      this.#followTenants(ctx);
      return;
    }
    const driver = this.#makeDriver('objectstack');
    ctx.registerService(this.serviceName, driver);
  }

  async start(ctx) {
    if (this.#routing) {
      this.#followTenants(ctx);
      await this.#routing.connect();
      return;
    }
    await this.#started();
  }

  async destroy() {
    await this.#stopped();
  }

  // --- the ObjectQL runtime: install / onStart / onStop -----------------------------------

  install() {
    if (this.#config.multiTenant) this.#makeRouter('objectql');
    else this.#makeDriver('objectql');
  }

  async onStart() {
    if (this.#config.multiTenant) {
      this.#makeRouter('objectql');
      this.#stoppedAt = undefined;
      return;
    }
    this.#makeDriver('objectql');
    await this.#started();
  }

  /** Closes the database; the driver is gone afterwards (`getDriver()` throws, as in 4.2.2). */
  async onStop() {
    await this.#stopped();
    this.#driver = undefined;
    this.#router = undefined;
    this.#routing = undefined;
    this.#stoppedAt = 'onStop';
  }

  // --- accessors and migrations -----------------------------------------------------------

  getDriver() {
    if (this.#config.multiTenant) {
      throw makeError(
        'DRIVER_ERROR',
        'No single-tenant driver: this plugin serves one database per tenant; use getRouter().getDriverForTenant(id).',
      );
    }
    if (!this.#driver) throw this.#unavailable('No single-tenant driver', 'initialised (init/install)');
    return this.#driver;
  }

  getRouter() {
    if (!this.#config.multiTenant) {
      throw makeError('DRIVER_ERROR', 'No multi-tenant router: this plugin serves a single database.');
    }
    if (!this.#router) throw this.#unavailable('No multi-tenant router', 'started (init/onStart)');
    return this.#router;
  }

  /** Why an accessor has nothing to give: not made yet, or the plugin was stopped. */
  #unavailable(what, notYet) {
    return makeError(
      'DRIVER_ERROR',
      this.#stoppedAt
        ? `${what}: the plugin was stopped (${this.#stoppedAt}); start it again to get a new one.`
        : `${what}: the plugin has not been ${notYet} yet.`,
    );
  }

  /**
   * The migration from the live database to `objects`: `{ up, down, summary, plan }`, made
   * by the driver's migration planner (`planMigration`, whose plan it carries); `options`
   * are its options (`allowDestructive`, `protectedTables`, `unconvertible`).
   */
  async generateMigration(objects, options) {
    const plan = await this.getDriver().planMigration(objects, options);
    const { down } = generateMigration({ actions: plan.actions, summary: plan.summary });
    return { up: plan.statements, down, summary: plan.summary, plan };
  }

  /**
   * Runs a migration in one transaction, all or nothing: the plan it carries (refused if the
   * schema changed since it was made), else its `up` statements (`--` comments skipped).
   */
  async applyMigration(migration) {
    const driver = this.getDriver();
    if (migration?.plan) return driver.applyMigrationPlan(migration.plan);
    const statements = (migration?.up ?? []).filter((s) => typeof s === 'string' && !/^\s*--/.test(s));
    return driver.executeMigrations(statements);
  }

  // --- internals --------------------------------------------------------------------------

  #makeDriver(contract) {
    if (!this.#driver) {
      this.#driver = new TursoDriver({ contract, ...this.#config.connection });
      if (this.#config.autoMigrate) this.#driver[kMigrateOnSync]();
    }
    this.#stoppedAt = undefined;
    return this.#driver;
  }

  async #started() {
    const driver = this.getDriver();
    await driver.connect();
    const objects = this.#config.objects;
    if (this.#config.autoMigrate && Array.isArray(objects) && objects.length > 0) {
      // The safe plan: created, converted, indexed; nothing dropped (see kMigrateOnSync).
      await driver.syncSchema(objects);
    }
  }

  async #stopped() {
    if (this.#routing) await this.#routing.disconnect();
    else if (this.#router) await this.#router.destroyAll();
    if (this.#driver) await this.#driver.disconnect();
  }

  /** The router, whose tenant drivers serve `contract` (`{ controlUrl, ...routerConfig }`). */
  #makeRouter(contract) {
    if (this.#router) return this.#router;
    const { controlUrl: _control, control: _controlConfig, ...config } = this.#config.multiTenant;
    this.#router = createMultiTenantRouter({
      ...config,
      driverConfigOverrides: { ...config.driverConfigOverrides, contract },
    });
    return this.#router;
  }

  /**
   * Under the kernel: one driver service for all tenants. Calls without a tenant (boot,
   * seeds, admin paths, `sys_*` objects) go to the control database `controlUrl` names.
   */
  #makeRouting() {
    if (this.#routing) return this.#routing;
    const { controlUrl, control } = this.#config.multiTenant;
    if (typeof controlUrl !== 'string' || controlUrl === '') {
      throw makeError(
        'CONFIG_ERROR',
        'TursoDriverPlugin multiTenant needs "controlUrl" under the ObjectStack kernel: the database of calls ' +
          "without a tenant (boot, seeds, sys_* objects), e.g. 'file:./data/control.db'.",
      );
    }
    const router = this.#makeRouter('objectstack');
    const controlDriver = new TursoDriver({ ...control, contract: 'objectstack', url: controlUrl });
    this.#routing = new TenantRoutingDriver({ router, control: controlDriver });
    this.#stoppedAt = undefined;
    return this.#routing;
  }

  /**
   * Keeps the tenant of each engine operation as the ambient tenant of the calls it makes
   * (see lib/tenant-driver.js). Registered once, as soon as the engine is there.
   */
  #followTenants(ctx) {
    if (this.#following) return;
    let engine;
    try {
      engine = ctx?.getService?.('objectql');
    } catch {
      return;
    }
    if (typeof engine?.registerMiddleware !== 'function') return;
    const routing = this.#routing;
    engine.registerMiddleware((op, next) => {
      const tenantId = op?.context?.tenantId;
      if (tenantId === undefined || tenantId === null || tenantId === '') return next();
      return routing.runAs(String(tenantId), next);
    });
    this.#following = true;
  }
}

module.exports = { TursoDriverPlugin };
