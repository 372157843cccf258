'use strict';

// (c) raw @libsql/client: SQL with positional args, one write batch (one transaction) for
// the bulk insert. The client has no prepared-statement handle; execute() is the API.

const { randomUUID } = require('crypto');
const { createClient } = require('@libsql/client');
const { OBJECT, CREATE_TABLE_SQL, FIND_SQL, urlOf } = require('../workload');

const INSERT = `INSERT INTO ${OBJECT} (id, title, n, score, done, meta, at) VALUES (?, ?, ?, ?, ?, ?, ?)`;
const SELECT = `SELECT * FROM ${OBJECT} WHERE id = ?`;
const UPDATE = `UPDATE ${OBJECT} SET title = ?, score = ?, done = ?, meta = ? WHERE id = ?`;
const DELETE = `DELETE FROM ${OBJECT} WHERE id = ?`;

function args(id, row) {
  return [id, row.title, row.n, row.score, row.done ? 1 : 0, JSON.stringify(row.meta), row.at];
}

async function open({ kind, file, syncUrl }) {
  const client = createClient({ url: urlOf(kind, file), syncUrl });
  if (kind === 'wal') await client.execute('PRAGMA journal_mode = WAL');

  return {
    async createTable() {
      await client.execute(CREATE_TABLE_SQL);
    },
    async bulkInsert(rows) {
      await client.batch(
        rows.map((row) => ({ sql: INSERT, args: args(row.id, row) })),
        'write',
      );
    },
    async create(row) {
      const id = randomUUID();
      await client.execute({ sql: INSERT, args: args(id, row) });
      return id;
    },
    async findOne(id) {
      return (await client.execute({ sql: SELECT, args: [id] })).rows[0];
    },
    async update(id, data) {
      const rs = await client.execute({
        sql: UPDATE,
        args: [data.title, data.score, data.done ? 1 : 0, JSON.stringify(data.meta), id],
      });
      return rs.rowsAffected === 1;
    },
    async remove(id) {
      return (await client.execute({ sql: DELETE, args: [id] })).rowsAffected === 1;
    },
    async find(k) {
      return (await client.execute({ sql: FIND_SQL, args: [k] })).rows;
    },
    async sql(text, params = []) {
      return (await client.execute({ sql: text, args: params })).rows;
    },
    async close() {
      client.close();
    },
  };
}

module.exports = { open };
