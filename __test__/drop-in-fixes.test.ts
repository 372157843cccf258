// Small places where the driver parted from 4.2.2 (or from the kernel's SQL driver) without
// meaning to: a configuration 4.2.2 served, a column a row lost, a tenant a write could
// leave.

import { useSandbox } from './util';

const NOTE = { name: 'note', fields: { body: { type: 'text' } } };

/** A logger that keeps what it is told. */
function recorder() {
  const seen: string[] = [];
  const log = (message: string) => void seen.push(message);
  return { seen, logger: { warn: log, error: log } };
}

describe('given a server url with the options of a local file', () => {
  const sandbox = useSandbox('remote');

  it('should serve the server, as 4.2.2 did, and warn once naming each option without effect', async () => {
    const { seen, logger } = recorder();
    const url = sandbox.server().url;
    // The 4.2.2 suite's "should accept all configuration options".
    const d = sandbox.driver({
      url,
      authToken: 'token',
      syncUrl: 'libsql://primary.example.com',
      encryptionKey: 'key',
      sync: { intervalSeconds: 30, onConnect: true },
      timeout: 5000,
      logger,
    });
    expect(d.transportMode).toBe('remote');
    expect(d.isSyncEnabled()).toBe(false);
    expect(d.getTursoConfig()).toMatchObject({ syncUrl: 'libsql://primary.example.com', timeout: 5000 });

    await d.connect();
    await d.init([NOTE]);
    await d.create('note', { id: 'n1', body: 'on the server' });
    await d.disconnect();
    await d.connect();
    expect(await d.find('note', {})).toEqual([{ id: 'n1', body: 'on the server' }]);
    // The row is on the server, read outside the driver.
    expect(JSON.stringify(await sandbox.server().pipeline(['SELECT body FROM note']))).toContain(
      'on the server',
    );

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/"syncUrl", "encryptionKey", "sync" have no effect/);
    // What does take effect on a server is not named, nor is the url (it may carry a token).
    expect(seen[0]).not.toMatch(/timeout|authToken|127\.0\.0\.1/);
  });

  it('should name only the options given, and say nothing when there are none', async () => {
    const url = sandbox.server().url;
    const one = recorder();
    await sandbox.driver({ url, encryptionKey: 'key', logger: one.logger }).connect();
    expect(one.seen).toEqual([expect.stringMatching(/serves; "encryptionKey" has no effect/)]);

    const none = recorder();
    await sandbox.driver({ url, timeout: 5000, logger: none.logger }).connect();
    expect(none.seen).toEqual([]);
  });

  it('should still refuse what no driver could serve: a replica or a key in memory', () => {
    for (const config of [
      { url: ':memory:', syncUrl: 'libsql://primary.example.com' },
      { url: ':memory:', encryptionKey: 'key' },
    ]) {
      expect(() => sandbox.driver(config)).toThrow(expect.objectContaining({ code: 'CONFIG_ERROR' }));
    }
  });
});
