// TursoPlatformAPI against a Turso Platform API on 127.0.0.1 (support/turso-api.ts): the
// 4.2.2 tests (those that stubbed `globalThis.fetch` are re-expressed against the loopback
// server, since the native client never calls fetch), the calls beyond 4.2.2, and every
// fault the issue lists. No request leaves 127.0.0.1.

import { inspect } from 'util';

import { ObjectQLError, TursoPlatformAPI, type TursoPlatformConfig } from '..';
import { closedPort, startTursoApi, type TursoApiServer } from './support/turso-api';

const TOKEN = 'sekret-api-token-4f9a';

let server: TursoApiServer;

beforeEach(async () => {
  server = await startTursoApi({ org: 'test-org', token: TOKEN });
});
afterEach(async () => {
  await server.close();
});

/** A client of the loopback server; short backoffs keep retry tests fast. */
function api(config: Partial<TursoPlatformConfig> = {}): TursoPlatformAPI {
  return new TursoPlatformAPI({
    orgSlug: 'test-org',
    apiToken: TOKEN,
    baseUrl: server.baseUrl,
    retryBaseMs: 5,
    ...config,
  });
}

async function rejection(promise: Promise<unknown>): Promise<ObjectQLError> {
  try {
    await promise;
  } catch (err) {
    return err as ObjectQLError;
  }
  throw new Error('expected a rejection');
}

describe('given the 4.2.2 configuration tests', () => {
  it('should throw CONFIG_ERROR if orgSlug is missing', () => {
    expect(() => new TursoPlatformAPI({ orgSlug: '', apiToken: 'token' })).toThrow(ObjectQLError);
    expect(() => new TursoPlatformAPI({ orgSlug: '', apiToken: 'token' })).toThrow('orgSlug');
    expect(() => new TursoPlatformAPI({ apiToken: 'token' } as TursoPlatformConfig)).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR' }),
    );
  });

  it('should throw CONFIG_ERROR if apiToken is missing', () => {
    expect(() => new TursoPlatformAPI({ orgSlug: 'my-org', apiToken: '' })).toThrow(ObjectQLError);
    expect(() => new TursoPlatformAPI({ orgSlug: 'my-org', apiToken: '' })).toThrow('apiToken');
    expect(() => new TursoPlatformAPI({ orgSlug: 'my-org' } as TursoPlatformConfig)).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringContaining('apiToken') }),
    );
  });

  it('should create instance with valid config', () => {
    const made = new TursoPlatformAPI({ orgSlug: 'my-org', apiToken: 'test-token' });
    expect(made).toBeDefined();
    expect(made.baseUrl).toBe('https://api.turso.tech');
  });

  it('should accept custom baseUrl, trailing slashes trimmed', () => {
    const made = new TursoPlatformAPI({
      orgSlug: 'my-org',
      apiToken: 'test-token',
      baseUrl: 'https://custom-api.example.com//',
    });
    expect(made.baseUrl).toBe('https://custom-api.example.com');
  });

  it('should refuse a config that is not one', () => {
    for (const bad of [
      undefined,
      null,
      'x',
      { orgSlug: 1, apiToken: 't' },
      { orgSlug: 'o', apiToken: 't', baseUrl: 'not a url' },
      { orgSlug: 'o', apiToken: 't', baseUrl: 'ftp://x' },
      { orgSlug: 'o', apiToken: 't', timeoutMs: 'soon' },
      { orgSlug: 'o', apiToken: 't', timeoutMs: 0 },
      { orgSlug: 'o', apiToken: 't', maxRetries: -1 },
      { orgSlug: 'o', apiToken: 't', maxRetries: 1.5 },
    ]) {
      expect(() => new TursoPlatformAPI(bad as unknown as TursoPlatformConfig)).toThrow(
        expect.objectContaining({ code: 'CONFIG_ERROR' }),
      );
    }
  });
});

describe('given the 4.2.2 API method tests, against the loopback API', () => {
  it('should call createDatabase with correct URL and body', async () => {
    const made = api({ baseUrl: `${server.baseUrl}///` });
    const result = await made.createDatabase('mydb', 'default');
    expect(result.hostname).toBe('mydb-test-org.turso.io');
    expect(result.name).toBe('mydb');
    const [seen] = server.requests;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/v1/organizations/test-org/databases');
    expect(seen.body).toBe(JSON.stringify({ name: 'mydb', group: 'default' }));
    expect(seen.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen.headers['content-type']).toBe('application/json');
  });

  it('should call deleteDatabase with correct URL', async () => {
    await api().createDatabase('mydb');
    await expect(api().deleteDatabase('mydb')).resolves.toBeUndefined();
    expect(server.requests[1]).toMatchObject({
      method: 'DELETE',
      url: '/v1/organizations/test-org/databases/mydb',
    });
    expect(server.databases.has('mydb')).toBe(false);
  });

  it('should call createToken with correct URL and options', async () => {
    await api().createDatabase('mydb');
    const result = await api().createToken('mydb', { expiration: '2w', authorization: 'read-only' });
    expect(result).toEqual({ jwt: 'jwt.mydb.read-only.2w' });
    const seen = server.requests[1];
    expect(seen.method).toBe('POST');
    expect(seen.url).toContain('/v1/organizations/test-org/databases/mydb/auth/tokens?');
    expect(seen.url).toContain('expiration=2w');
    expect(seen.url).toContain('authorization=read-only');
  });

  it('should call listDatabases and map response', async () => {
    await api().createDatabase('db1', 'default');
    await api().createDatabase('db2', 'other');
    const result = await api().listDatabases();
    expect(result).toHaveLength(2);
    expect(result[0].name).toBe('db1');
    expect(result[0].hostname).toBe('db1-test-org.turso.io');
    expect(result[0].group).toBe('default');
    expect(result[0].is_schema).toBe(false);
    expect(result[1].name).toBe('db2');
    expect(server.requests[2]).toMatchObject({ method: 'GET', url: '/v1/organizations/test-org/databases' });
  });

  it('should throw ObjectQLError on HTTP error', async () => {
    const err = await rejection(api().deleteDatabase('nonexistent'));
    expect(err).toBeInstanceOf(ObjectQLError);
    expect(err.message).toContain('404');
    expect(err.message).toContain('could not find database with name nonexistent');
    expect(err.code).toBe('NOT_FOUND');
  });

  it('should throw ObjectQLError on network failure', async () => {
    const port = await closedPort();
    const err = await rejection(api({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 }).listDatabases());
    expect(err).toBeInstanceOf(ObjectQLError);
    expect(err.code).toBe('DRIVER_CONNECTION_FAILED');
    expect(err.message).toContain('ECONNREFUSED');
  });
});

describe('given the calls beyond 4.2.2', () => {
  it('should get a database with the fields the API gives', async () => {
    await api().createDatabase('mydb', { group: 'eu' });
    const db = await api().getDatabase('mydb');
    expect(db).toMatchObject({
      name: 'mydb',
      hostname: 'mydb-test-org.turso.io',
      id: 'db-1',
      group: 'eu',
      is_schema: false,
      regions: ['ams'],
      primaryRegion: 'ams',
      sleeping: false,
      block_reads: false,
    });
    expect(server.requests[1].url).toBe('/v1/organizations/test-org/databases/mydb');
  });

  it('should send the create options the API takes', async () => {
    await api().createDatabase('parent', { is_schema: true });
    const made = await api().createDatabase('child', {
      group: 'default',
      seed: { type: 'database', name: 'parent' },
      schema: 'parent',
      size_limit: '1gb',
    });
    expect(made).toMatchObject({ name: 'child', id: 'db-2', group: 'default' });
    expect(JSON.parse(server.requests[0].body)).toEqual({ name: 'parent', is_schema: true });
    expect(JSON.parse(server.requests[1].body)).toEqual({
      name: 'child',
      group: 'default',
      seed: { type: 'database', name: 'parent' },
      schema: 'parent',
      size_limit: '1gb',
    });
  });

  it('should filter listDatabases by group', async () => {
    await api().createDatabase('a', 'eu');
    await api().createDatabase('b', 'us');
    const listed = await api().listDatabases({ group: 'eu' });
    expect(listed.map((db) => db.name)).toEqual(['a']);
    expect(server.requests[2].url).toBe('/v1/organizations/test-org/databases?group=eu');
  });

  it('should make group tokens and rotate tokens', async () => {
    await api().createDatabase('mydb');
    await expect(
      api().createGroupToken('default', { authorization: 'full-access', expiration: '1d' }),
    ).resolves.toEqual({
      jwt: 'jwt.group.default.full-access',
    });
    expect(server.requests[1].url).toBe(
      '/v1/organizations/test-org/groups/default/auth/tokens?expiration=1d&authorization=full-access',
    );
    await expect(api().rotateGroupTokens('default')).resolves.toBeUndefined();
    await expect(api().rotateDatabaseTokens('mydb')).resolves.toBeUndefined();
    expect(server.requests.slice(2).map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/organizations/test-org/groups/default/auth/rotate',
      'POST /v1/organizations/test-org/databases/mydb/auth/rotate',
    ]);
  });

  it('should ensure a database: create once, then return the existing one', async () => {
    const first = await api().ensureDatabase('tenant-a', 'default');
    expect(first).toMatchObject({ name: 'tenant-a', hostname: 'tenant-a-test-org.turso.io', created: true });
    const again = await api().ensureDatabase('tenant-a', 'default');
    expect(again).toMatchObject({ name: 'tenant-a', id: first.id, group: 'default', created: false });
    expect(server.databases.size).toBe(1);
  });

  it('should end 50 concurrent ensureDatabase of one name with one database and 50 answers', async () => {
    server.createDelayMs = 5;
    const client = api();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => client.ensureDatabase('racy', 'default')),
    );
    expect(results).toHaveLength(50);
    expect(server.databases.size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.id))).toEqual(new Set([server.databases.get('racy')!.DbId]));
  });

  it('should keep the plain create strict: a second create is ALREADY_EXISTS', async () => {
    await api().createDatabase('mydb');
    const err = await rejection(api().createDatabase('mydb'));
    expect(err.code).toBe('ALREADY_EXISTS');
    expect(err.message).toContain('(409)');
    expect(err.message).toContain('already exists');
  });
});

describe('given an API that answers with errors', () => {
  it('should map 401 and 403 to DRIVER_ERROR saying the token was refused', async () => {
    const wrong = await rejection(api({ apiToken: 'not-the-token' }).listDatabases());
    expect(wrong.code).toBe('DRIVER_ERROR');
    expect(wrong.message).toContain('(401)');
    expect(wrong.message).toContain('token was refused');
    expect(wrong.message).toContain('GET /v1/organizations/test-org/databases');

    const other = await rejection(api({ orgSlug: 'someone-else' }).listDatabases());
    expect(other.code).toBe('DRIVER_ERROR');
    expect(other.message).toContain('(403)');
    expect(other.message).toContain('no access to organization someone-else');
  });

  it('should map 404 to NOT_FOUND and 409 to ALREADY_EXISTS', async () => {
    expect((await rejection(api().getDatabase('nope'))).code).toBe('NOT_FOUND');
    server.fail({ status: 409, body: { error: 'conflict' } });
    expect((await rejection(api().createToken('x'))).code).toBe('ALREADY_EXISTS');
  });

  it('should wait out a 429 with Retry-After in seconds, then succeed', async () => {
    server.fail({ status: 429, body: { error: 'rate limited' }, headers: { 'retry-after': '1' } });
    const started = Date.now();
    await expect(api().listDatabases()).resolves.toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
  });

  it('should wait out a 429 with Retry-After as an HTTP-date, then succeed', async () => {
    // HTTP-dates have whole seconds: two seconds ahead is at least one second's wait.
    const date = new Date(Date.now() + 2000).toUTCString();
    server.fail({ status: 429, body: { error: 'rate limited' }, headers: { 'retry-after': date } });
    const started = Date.now();
    await expect(api().listDatabases()).resolves.toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(server.requests).toHaveLength(2);
  });

  it('should give up at once when Retry-After asks to wait past timeoutMs', async () => {
    server.fail({ status: 429, body: { error: 'slow down' }, headers: { 'retry-after': '120' } });
    const started = Date.now();
    const err = await rejection(api({ timeoutMs: 2000 }).listDatabases());
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err.code).toBe('DRIVER_ERROR');
    expect(err.message).toContain('(429)');
    expect(err.message).toContain('wait 120 s');
  });

  it('should retry a GET through two 503s', async () => {
    server.fail({ status: 503, body: { error: 'unavailable' } });
    server.fail({ status: 503 });
    await expect(api().listDatabases()).resolves.toEqual([]);
    expect(server.requests).toHaveLength(3);
  });

  it('should report the last 503 once maxRetries is spent', async () => {
    for (let i = 0; i < 3; i++) server.fail({ status: 503, body: { error: 'still down' } });
    const err = await rejection(api({ maxRetries: 2 }).getDatabase('x'));
    expect(server.requests).toHaveLength(3);
    expect(err.code).toBe('DRIVER_ERROR');
    expect(err.message).toContain('(503): still down');
    expect(err.message).toContain('Tried 3 time(s)');
  });

  it('should not retry a POST answered 503', async () => {
    server.fail({ status: 503, body: { error: 'unavailable' } });
    const err = await rejection(api().createDatabase('mydb'));
    expect(server.requests).toHaveLength(1);
    expect(err.code).toBe('DRIVER_ERROR');
    expect(err.message).toContain('(503)');
    expect(err.message).toContain('Not retried');
    expect(server.databases.size).toBe(0);
  });

  it("should retry ensureDatabase's create, idempotent by design", async () => {
    server.fail({ status: 503, body: { error: 'unavailable' } }, (r) => r.method === 'POST');
    await expect(api().ensureDatabase('mydb')).resolves.toMatchObject({ name: 'mydb', created: true });
    expect(server.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
  });

  it('should reject within timeoutMs when the server accepts and never answers', async () => {
    server.fail('hang');
    const started = Date.now();
    const err = await rejection(api({ timeoutMs: 300 }).listDatabases());
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err.code).toBe('DRIVER_CONNECTION_FAILED');
    expect(err.message).toContain('within 300 ms');
  });

  it('should say so when a reply is not JSON', async () => {
    server.fail('not-json');
    const err = await rejection(api().listDatabases());
    expect(err.code).toBe('DRIVER_ERROR');
    expect(err.message).toContain('not JSON');
  });

  it('should say so when a reply has the wrong shape', async () => {
    const cases: Array<[() => Promise<unknown>, unknown, string]> = [
      [() => api().listDatabases(), { databases: 'none' }, '"databases"'],
      [() => api().listDatabases(), { databases: [{ Name: 'a' }] }, 'Hostname'],
      [() => api().getDatabase('a'), { database: null }, 'Hostname'],
      [() => api().createDatabase('a'), { db: {} }, '"database"'],
      [() => api().createToken('a'), { token: 'x' }, '"jwt"'],
    ];
    for (const [call, json, expected] of cases) {
      server.fail({ json });
      const err = await rejection(call());
      expect(err.code).toBe('DRIVER_ERROR');
      expect(err.message).toContain('unexpected shape');
      expect(err.message).toContain(expected);
    }
  });

  it('should report a refused connection as DRIVER_CONNECTION_FAILED, after retrying it', async () => {
    const port = await closedPort();
    const err = await rejection(api({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2 }).getDatabase('x'));
    expect(err.code).toBe('DRIVER_CONNECTION_FAILED');
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });
});

describe('given names', () => {
  it('should encode the names it cannot refuse', async () => {
    const odd = api({ orgSlug: 'team a/b?c' });
    await rejection(odd.listDatabases()); // the loopback API serves test-org only: 403
    expect(server.requests[0].url).toBe('/v1/organizations/team%20a%2Fb%3Fc/databases');
    await api().createGroupToken('eu west/1', { expiration: '2 w' });
    expect(server.requests[1].url).toBe(
      '/v1/organizations/test-org/groups/eu%20west%2F1/auth/tokens?expiration=2%20w',
    );
  });

  it('should refuse the names the API would refuse, before any request', async () => {
    const client = api();
    const bad = ['', 'Acme', 'a_b', 'a/b', '../etc', 'a b', 'é', 'x'.repeat(65)];
    for (const name of bad) {
      for (const call of [
        () => client.createDatabase(name),
        () => client.ensureDatabase(name),
        () => client.getDatabase(name),
        () => client.deleteDatabase(name),
        () => client.createToken(name),
        () => client.rotateDatabaseTokens(name),
      ]) {
        const err = await rejection(call());
        expect(err.code).toBe('INVALID_REQUEST');
        expect(err.message).toContain('lowercase letters');
      }
    }
    for (const call of [
      () => client.createGroupToken(''),
      () => client.createToken('ok', { authorization: 'admin' as 'read-only' }),
      () => client.createDatabase('ok', { seed: { type: 'dump' } }),
      () => client.createDatabase('ok', { schema: 'p', is_schema: true }),
      () => client.createDatabase(42 as unknown as string),
      () => client.createDatabase('ok', { group: 7 as unknown as string }),
      () => client.listDatabases('eu' as unknown as { group: string }),
    ]) {
      expect((await rejection(call())).code).toBe('INVALID_REQUEST');
    }
    expect(server.requests).toHaveLength(0);
  });
});

describe('given the token', () => {
  it('should never show it: not in messages, errors, logs or the object', async () => {
    const logged: unknown[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(...args)),
    );
    try {
      // The server echoes the token back in its error text: it must be scrubbed.
      server.fail({ status: 401, body: { error: `token ${TOKEN} is revoked` } });
      server.fail({ status: 500, body: { error: `internal: ${TOKEN}` } });
      server.fail('not-json');
      server.fail({ json: { databases: 1 } });
      server.fail('hang');
      const port = await closedPort();
      const errors = [
        await rejection(api().listDatabases()),
        await rejection(api({ maxRetries: 0 }).listDatabases()),
        await rejection(api().listDatabases()),
        await rejection(api().listDatabases()),
        await rejection(api({ timeoutMs: 200 }).listDatabases()),
        await rejection(api().getDatabase('nope')),
        await rejection(api().createDatabase('Bad')),
        await rejection(api({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 }).listDatabases()),
      ];
      expect(errors[0].message).toContain('[redacted]');
      for (const err of errors) {
        const everything = [err.message, err.stack, JSON.stringify(err), inspect(err, { depth: 5 })].join(
          '\n',
        );
        expect(everything).not.toContain(TOKEN);
      }
      expect(inspect(api(), { depth: 5, showHidden: true })).not.toContain(TOKEN);
      expect(JSON.stringify(api())).not.toContain(TOKEN);
      expect(logged.map((entry) => inspect(entry)).join('\n')).not.toContain(TOKEN);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
