'use strict';

const { makeError } = require('./errors.js');

/**
 * Runs `statements` on `driver`'s database in one transaction: all of them or none. With
 * foreign keys off outside the transaction (a rebuilt parent deletes no child row) and
 * `PRAGMA foreign_key_check` before it commits. Resolves to `{ applied, logs, duration,
 * fingerprint }`; on failure nothing is applied and the error names the failing statement
 * and its position.
 */
function executeMigrations(driver, statements) {
  if (!driver || typeof driver.executeMigrations !== 'function') {
    return Promise.reject(
      makeError(
        'INVALID_REQUEST',
        'executeMigrations(driver, statements) needs a TursoDriver of this package',
      ),
    );
  }
  return driver.executeMigrations(statements);
}

module.exports = { executeMigrations };
