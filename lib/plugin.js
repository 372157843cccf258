'use strict';

// TursoDriverPlugin: the driver as a plugin of both runtimes. The ObjectStack kernel
// calls init/start/destroy (and finds the driver as the `driver.<name>` service); the
// older ObjectQL runtime calls install/onStart/onStop. Both shapes share one driver.

const { TursoDriver } = require('./driver.js');
const { makeError } = require('./errors.js');
const { diffSchema, generateMigration } = require('./helpers.js');
const { version } = require('../package.json');

const DEFAULT_SERVICE = 'driver.turso';

class TursoDriverPlugin {
  #config;
  #driver;
  /** The lifecycle call that stopped the plugin, once it has been stopped. */
  #stoppedAt;

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
    if (multiTenant) {
      throw makeError(
        'CONFIG_ERROR',
        'TursoDriverPlugin: multi-tenant mode needs createMultiTenantRouter, which this release does not ship yet.',
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
    const driver = this.#makeDriver('objectstack');
    ctx.registerService(this.serviceName, driver);
  }

  async start() {
    await this.#started();
  }

  async destroy() {
    await this.#stopped();
  }

  // --- the ObjectQL runtime: install / onStart / onStop -----------------------------------

  install() {
    this.#makeDriver('objectql');
  }

  async onStart() {
    this.#makeDriver('objectql');
    await this.#started();
  }

  /** Closes the database; the driver is gone afterwards (`getDriver()` throws, as in 4.2.2). */
  async onStop() {
    await this.#stopped();
    this.#driver = undefined;
    this.#stoppedAt = 'onStop';
  }

  // --- accessors and migrations -----------------------------------------------------------

  getDriver() {
    if (!this.#driver) {
      throw makeError(
        'DRIVER_ERROR',
        this.#stoppedAt
          ? `No single-tenant driver: the plugin was stopped (${this.#stoppedAt}); start it again to get a new one.`
          : 'No single-tenant driver: the plugin has not been initialised (init/install) yet.',
      );
    }
    return this.#driver;
  }

  getRouter() {
    throw makeError('DRIVER_ERROR', 'No multi-tenant router: this plugin serves a single database.');
  }

  /** The migration from the live database to `objects` (`{ up, down, summary }`). */
  async generateMigration(objects, options) {
    const live = await this.getDriver().introspectSchema();
    return generateMigration(diffSchema(objects, live, options));
  }

  /** Runs `migration.up` in one transaction (`--` comments skipped); all or nothing. */
  async applyMigration(migration) {
    const driver = this.getDriver();
    const statements = (migration?.up ?? []).filter((s) => typeof s === 'string' && !/^\s*--/.test(s));
    const tx = await driver.beginTransaction();
    try {
      for (const sql of statements) await driver.execute(sql, [], { transaction: tx });
      await driver.commit(tx);
    } catch (err) {
      await driver.rollback(tx).catch(() => {});
      throw err;
    }
    return { applied: statements.length };
  }

  // --- internals --------------------------------------------------------------------------

  #makeDriver(contract) {
    if (!this.#driver) this.#driver = new TursoDriver({ contract, ...this.#config.connection });
    this.#stoppedAt = undefined;
    return this.#driver;
  }

  async #started() {
    const driver = this.getDriver();
    await driver.connect();
    const objects = this.#config.objects;
    if (this.#config.autoMigrate && Array.isArray(objects) && objects.length > 0) {
      // Additive only: tables and columns are created, nothing is dropped.
      await driver.syncSchema(objects);
    }
  }

  async #stopped() {
    if (this.#driver) await this.#driver.disconnect();
  }
}

module.exports = { TursoDriverPlugin };
