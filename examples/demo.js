'use strict';

// A short tour of the driver on an embedded file database: `npm run demo`.

const fs = require('node:fs');
const path = require('node:path');
const { TursoDriver } = require('..');

async function main() {
  const dir = path.join(__dirname, 'data');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'demo.db');
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });

  const driver = new TursoDriver({ url: `file:${file}` });
  await driver.init([
    {
      name: 'project',
      fields: {
        name: { type: 'text', required: true },
        budget: { type: 'currency' },
        active: { type: 'boolean', defaultValue: true },
        tags: { type: 'multiselect' },
      },
    },
  ]);

  await driver.bulkCreate('project', [
    { name: 'Apollo', budget: 120000, tags: ['space', 'moon'] },
    { name: 'Gemini', budget: 45000, active: false, tags: ['space'] },
    { name: 'Mercury', budget: 30000, tags: ['space', 'orbit'] },
  ]);
  const created = await driver.create('project', { name: 'Skylab', budget: 80000, tags: ['station'] });
  console.log('created', created);

  const big = await driver.find('project', {
    where: { budget: { $gte: 40000 }, active: true },
    orderBy: [{ field: 'budget', order: 'desc' }],
    fields: ['name', 'budget', 'tags'],
  });
  console.log('active projects with budget >= 40000:', big);

  const tx = await driver.beginTransaction();
  await driver.update('project', created.id, { budget: 1 }, { transaction: tx });
  await driver.rollback(tx);
  console.log('after a rolled-back update:', await driver.findOne('project', created.id));

  const totals = await driver.aggregate('project', {
    groupBy: ['active'],
    aggregates: { projects: 'COUNT(*)', budget: 'SUM(budget)' },
  });
  console.log('totals by active:', totals);
  console.log('count:', await driver.count('project', {}));

  await driver.disconnect();
  console.log(`database file: ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
