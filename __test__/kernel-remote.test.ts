// The demo app (examples/demo.js: a real ObjectStack kernel, ObjectQLPlugin and this
// package's TursoDriverPlugin) run against a libSQL server instead of its file: the kernel's
// whole path over Hrana, as an app moving to Turso would run it.

import { spawnSync } from 'child_process';
import * as path from 'path';

import { kernelNodes } from './support/kernel';
import { startSqld, type Sqld } from './support/sqld';

const DEMO = path.join(__dirname, '..', 'examples', 'demo.js');

describe.each(kernelNodes())('given the demo app pointed at a libSQL server ($label)', (node) => {
  let server: Sqld;
  beforeAll(async () => {
    server = await startSqld();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('should run through the kernel on the server, with the answers it gives on a file', async () => {
    const run = spawnSync(node.path, [DEMO], {
      env: { ...process.env, DEMO_URL: server.url },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    const said = run.stdout.split('\n').filter((line) => !line.startsWith('['));
    expect(said).toEqual(
      expect.arrayContaining([
        'active projects with budget >= 40000: [{"name":"Apollo","budget":120000,"tags":["space","moon"]},{"name":"Skylab","budget":80000,"tags":["station"]}]',
        'Skylab after update: 90000',
        'count: 4',
        `database: ${server.url}`,
      ]),
    );
    // The rows are on the server, not in a local file.
    const [projects] = (await server.pipeline(['SELECT count(*) FROM project'])) as {
      result: { rows: { value: string }[][] };
    }[];
    expect(Number(projects.result.rows[0][0].value)).toBe(4);
  }, 60_000);
});
