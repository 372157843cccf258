'use strict';

// `npm run demo`: an ObjectStack app on an embedded file database. The ObjectStack kernel
// (ObjectQLPlugin) runs the app; TursoDriverPlugin gives it this package's native driver.

const fs = require('node:fs');
const path = require('node:path');
const { ObjectKernel } = require('@objectstack/core');
const { ObjectQLPlugin } = require('@objectstack/objectql');
const { TursoDriverPlugin } = require('..');

const OBJECTS = [
  {
    name: 'project',
    label: 'Project',
    fields: {
      name: { type: 'text', required: true },
      budget: { type: 'currency' },
      active: { type: 'boolean', defaultValue: true },
      tags: { type: 'json' },
    },
  },
];

async function main() {
  const dir = path.join(__dirname, 'data');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'demo.db');
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });

  const kernel = new ObjectKernel({ logger: { level: 'silent' } });
  // DEMO_URL runs the same app on a libSQL server (e.g. http://127.0.0.1:8080 for sqld).
  const url = process.env.DEMO_URL || `file:${file}`;
  const turso = new TursoDriverPlugin({ connection: { url, authToken: process.env.DEMO_AUTH_TOKEN } });
  await kernel.use(new ObjectQLPlugin());
  await kernel.use(turso);
  await kernel.use({
    name: 'demo-app',
    version: '1.0.0',
    init: (ctx) =>
      ctx
        .getService('manifest')
        .register({ id: 'com.demo.space', name: 'space', version: '1.0.0', objects: OBJECTS }),
  });
  await kernel.bootstrap();
  const ql = kernel.getService('objectql');

  for (const p of [
    { name: 'Apollo', budget: 120000, tags: ['space', 'moon'] },
    { name: 'Gemini', budget: 45000, active: false, tags: ['space'] },
    { name: 'Mercury', budget: 30000, tags: ['space', 'orbit'] },
    { name: 'Skylab', budget: 80000, tags: ['station'] },
  ]) {
    await ql.insert('project', p);
  }
  const show = (label, value) => console.log(`${label}:`, JSON.stringify(value));

  show(
    'active projects with budget >= 40000',
    (
      await ql.find('project', {
        where: { budget: { $gte: 40000 }, active: true },
        orderBy: [{ field: 'budget', order: 'desc' }],
      })
    ).map((p) => ({ name: p.name, budget: p.budget, tags: p.tags })),
  );
  const skylab = await ql.findOne('project', { where: { name: 'Skylab' } });
  await ql.update('project', { budget: 90000 }, { where: { id: skylab.id } });
  show('Skylab after update', (await ql.findOne('project', { where: { id: skylab.id } })).budget);
  show(
    'projects per active flag',
    await ql.aggregate('project', {
      groupBy: ['active'],
      aggregations: [
        { function: 'count', alias: 'projects' },
        { function: 'sum', field: 'budget', alias: 'budget' },
      ],
    }),
  );
  show('count', await ql.count('project', {}));

  await kernel.shutdown();
  await turso.destroy();
  console.log(`database: ${url}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
