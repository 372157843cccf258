// Encryption at rest (`encryptionKey`): a file written with a key cannot be opened
// without it or with another key (a clear DRIVER_CONNECTION_FAILED), opens with it, and
// holds no plain text on disk.

import * as fs from 'fs';

import { TursoDriver } from '..';
import { useSandbox } from './util';

const NOTE = { name: 'note', fields: { body: { type: 'text' } } };
const SECRET = 'a-very-recognisable-secret-value';

describe('given a database file written with an encryptionKey', () => {
  const sandbox = useSandbox();

  it('should open only with that key, and keep no plain text on disk', async () => {
    const url = sandbox.fileUrl('secret.db');
    const writer = sandbox.driver({ url, encryptionKey: 'key-one' });
    await writer.init([NOTE]);
    await writer.create('note', { body: SECRET });
    await writer.disconnect();

    for (const file of fs.readdirSync(sandbox.dir())) {
      expect(fs.readFileSync(`${sandbox.dir()}/${file}`).includes(SECRET)).toBe(false);
    }
    await expect(sandbox.driver({ url }).find('note', {})).rejects.toMatchObject({
      code: 'DRIVER_CONNECTION_FAILED',
      message: expect.stringMatching(/encrypted \(pass its encryptionKey\)/),
    });
    await expect(sandbox.driver({ url, encryptionKey: 'key-two' }).connect()).rejects.toMatchObject({
      code: 'DRIVER_CONNECTION_FAILED',
      message: expect.stringMatching(/not the one it was written with/),
    });
    const reader = sandbox.driver({ url, encryptionKey: 'key-one' });
    expect(await reader.find('note', {})).toEqual([expect.objectContaining({ body: SECRET })]);
  });

  it('should refuse a key for a database in memory', () => {
    // A server's url takes it as 4.2.2 did, to no effect (see drop-in-fixes.test.ts).
    expect(() => new TursoDriver({ url: ':memory:', encryptionKey: 'k' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringMatching(/encryptionKey/) }),
    );
  });
});
