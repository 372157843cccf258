// The router within the process's file descriptor limit, in child processes started with a
// low `ulimit -n`: the cache is capped by what the process may still open, an open that
// finds the process out of descriptors closes an idle tenant and tries again, and when no
// tenant can be closed the error names the limit.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-limits-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `body` (an async function's body, with `router`, `dir` and `fill`) under `ulimit -n limit`. */
function underLimit(limit: number, body: string): Record<string, unknown> {
  const script = `
    const fs = require('fs');
    const { createMultiTenantRouter } = require(${JSON.stringify(ROOT)});
    const dir = ${JSON.stringify(dir)};
    const router = (config) => createMultiTenantRouter({ urlTemplate: 'file:' + dir + '/{tenant}.db', ...config });
    /** Opens /dev/null until the process has only 'spare' descriptors left. */
    function fill(spare) {
      const held = [];
      try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch {}
      for (let i = 0; i < spare && held.length > 0; i++) fs.closeSync(held.pop());
      return held;
    }
    (async () => { ${body} })().then(
      (out) => { console.log(JSON.stringify(out)); process.exit(0); },
      (err) => { console.log(JSON.stringify({ thrown: err.message, code: err.code })); process.exit(0); },
    );`;
  const file = path.join(dir, 'run.js');
  fs.writeFileSync(file, script);
  const run = spawnSync('sh', ['-c', `ulimit -n ${limit} && exec "${process.execPath}" "${file}"`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`the child failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

describe('given a process with few file descriptors', () => {
  it('should keep the open tenants within what the process may still open, failing no call', () => {
    const out = underLimit(
      400,
      `const r = router({ maxCachedTenants: 1000 });
       let failed = 0, most = 0;
       for (let i = 0; i < 120; i++) {
         try {
           const d = await r.getDriverForTenant('tenant-' + i);
           await d.init([{ name: 'note', fields: { body: { type: 'text' } } }]);
           await d.create('note', { body: 'x' });
         } catch (e) { failed++; }
         most = Math.max(most, r.getCacheSize());
       }
       await r.destroyAll();
       return { failed, most };`,
    );
    expect(out.failed).toBe(0);
    expect(out.most as number).toBeGreaterThan(0);
    expect((out.most as number) * 4).toBeLessThan(400);
  });

  it('should close an idle tenant and open again when the process runs out, and name the limit when none is idle', () => {
    const out = underLimit(
      400,
      `const r = router({ maxCachedTenants: 1000 });
       const NOTE = [{ name: 'note', fields: { body: { type: 'text' } } }];
       const first = await r.getDriverForTenant('tenant-a');
       await first.init(NOTE);
       // Something else in the process takes nearly every descriptor left: fewer than a
       // tenant's database, WAL and shared memory need.
       fill(2);
       const second = await r.getDriverForTenant('tenant-b');
       await second.init(NOTE);
       const recovered = r.getCacheSize();
       // Now the open tenant is busy (a transaction): nothing can be closed for a third.
       const tx = await second.beginTransaction();
       let error;
       try { await (await r.getDriverForTenant('tenant-c')).init(NOTE); } catch (e) { error = e; }
       await second.rollback(tx);
       return { recovered, code: error && error.code, message: error && error.message };`,
    );
    expect(out.recovered).toBe(1);
    expect(out.code).toBe('DRIVER_CONNECTION_FAILED');
    expect(out.message).toMatch(/file descriptors/);
    expect(out.message).toMatch(/ulimit -n/);
  });
});
