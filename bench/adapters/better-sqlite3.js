'use strict';

// (d) raw better-sqlite3: prepared statements, one transaction for the bulk insert.

const { randomUUID } = require('crypto');
const { OBJECT, CREATE_TABLE_SQL, FIND_SQL } = require('../workload');
const { openDatabase } = require('../sqlite-binding');

function args(id, row) {
  return [id, row.title, row.n, row.score, row.done ? 1 : 0, JSON.stringify(row.meta), row.at];
}

async function open({ kind, file }) {
  const db = openDatabase(kind === 'wal' ? file : ':memory:');
  if (kind === 'wal') db.pragma('journal_mode = WAL');
  let insert, select, update, del, find;

  return {
    async createTable() {
      db.exec(CREATE_TABLE_SQL);
      insert = db.prepare(
        `INSERT INTO ${OBJECT} (id, title, n, score, done, meta, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      select = db.prepare(`SELECT * FROM ${OBJECT} WHERE id = ?`);
      update = db.prepare(`UPDATE ${OBJECT} SET title = ?, score = ?, done = ?, meta = ? WHERE id = ?`);
      del = db.prepare(`DELETE FROM ${OBJECT} WHERE id = ?`);
      find = db.prepare(FIND_SQL);
    },
    async bulkInsert(rows) {
      db.transaction((all) => {
        for (const row of all) insert.run(args(row.id, row));
      })(rows);
    },
    async create(row) {
      const id = randomUUID();
      insert.run(args(id, row));
      return id;
    },
    async findOne(id) {
      return select.get(id);
    },
    async update(id, data) {
      const info = update.run(data.title, data.score, data.done ? 1 : 0, JSON.stringify(data.meta), id);
      return info.changes === 1;
    },
    async remove(id) {
      return del.run(id).changes === 1;
    },
    async find(k) {
      return find.all(k);
    },
    async sql(text, params = []) {
      const statement = db.prepare(text);
      if (statement.reader) return statement.all(params);
      statement.run(params);
      return [];
    },
    async close() {
      db.close();
    },
  };
}

module.exports = { open };
