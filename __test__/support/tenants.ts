// Tenant database files for the migration tests (fleet, CLI): real SQLite files made
// through the driver, at a first version of a small schema, with a row each.

import * as fs from 'fs';
import * as path from 'path';

import { TursoDriver, type ObjectSchema } from '../..';

/** The schema the tenants start at. */
export const V1: ObjectSchema[] = [
  {
    name: 'tasks',
    fields: { title: { type: 'text' }, estimate: { type: 'text' } },
  },
  { name: 'legacy', fields: { note: { type: 'text' } } },
];

/** V1 plus a column and a table: additive, applied without `allowDestructive`. */
export const V2: ObjectSchema[] = [
  {
    name: 'tasks',
    fields: { title: { type: 'text' }, estimate: { type: 'text' }, priority: { type: 'integer' } },
  },
  { name: 'legacy', fields: { note: { type: 'text' } } },
  { name: 'notes', fields: { body: { type: 'text' } } },
];

/** V2 without `legacy`: destructive (drops a table). */
export const V3: ObjectSchema[] = V2.filter((o) => o.name !== 'legacy');

/** V1 with `tasks.estimate` an integer: a type change, whose text values must convert. */
export const V1_ESTIMATE_INTEGER: ObjectSchema[] = [
  { name: 'tasks', fields: { title: { type: 'text' }, estimate: { type: 'integer' } } },
  { name: 'legacy', fields: { note: { type: 'text' } } },
];

export const tenantIds = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `tenant-${String(i + 1).padStart(2, '0')}`);

/** A tenant database at `objects` in `dir`, holding one task (estimate `estimate`). */
export async function makeTenant(
  dir: string,
  tenant: string,
  { objects = V1, estimate = '3' }: { objects?: ObjectSchema[]; estimate?: string } = {},
): Promise<string> {
  const file = path.join(dir, `${tenant}.db`);
  const driver = new TursoDriver({ url: `file:${file}` });
  try {
    await driver.connect();
    await driver.syncSchema(objects);
    await driver.create('tasks', { id: `${tenant}-task`, title: `first task of ${tenant}`, estimate });
    await driver.create('legacy', { id: `${tenant}-legacy`, note: 'old' });
  } finally {
    await driver.disconnect();
  }
  return file;
}

/** A tenant "database" that is not one: a text file where the database should be. */
export function makeBrokenTenant(dir: string, tenant: string): string {
  const file = path.join(dir, `${tenant}.db`);
  fs.writeFileSync(file, 'this is not a SQLite database, it is a text file\n'.repeat(200));
  return file;
}

/** The tables of a database file and their columns, read through the driver. */
export async function tablesOf(file: string): Promise<Record<string, string[]>> {
  const driver = new TursoDriver({ url: `file:${file}` });
  try {
    await driver.connect();
    const schema = await driver.introspectSchema();
    const out: Record<string, string[]> = {};
    for (const [name, table] of Object.entries(schema.tables)) {
      out[name] = table.columns.map((c) => c.name).sort();
    }
    return out;
  } finally {
    await driver.disconnect();
  }
}

/** The live schema fingerprint of a database file. */
export async function fingerprintOf(file: string): Promise<string> {
  const driver = new TursoDriver({ url: `file:${file}` });
  try {
    await driver.connect();
    return await driver.schemaFingerprint();
  } finally {
    await driver.disconnect();
  }
}
