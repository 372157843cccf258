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

  it('should refuse a key for a database that is not a file', () => {
    for (const url of [':memory:', 'http://127.0.0.1:1']) {
      expect(() => new TursoDriver({ url, encryptionKey: 'k' })).toThrow(
        expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringMatching(/encryptionKey/) }),
      );
    }
  });
});
