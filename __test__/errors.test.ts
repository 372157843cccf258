import { execFileSync } from 'child_process';
import * as path from 'path';

import { ObjectQLError, TursoDriver, type TursoDriverConfig } from '..';
import { PEOPLE, byKey, thrownBy, useSandbox } from './util';

const ROOT = path.resolve(__dirname, '..');

describe('given the ObjectQLError class', () => {
  it('should carry name, code, message and details and be an Error', () => {
    const err = new ObjectQLError({
      code: 'NOT_FOUND',
      message: 'gone',
      details: { id: 1 },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ObjectQLError);
    expect(err).toMatchObject({
      name: 'ObjectQLError',
      code: 'NOT_FOUND',
      message: 'gone',
      details: { id: 1 },
    });
  });
});

describe('given a bad configuration', () => {
  it('should throw CONFIG_ERROR synchronously for an empty url', () => {
    const err = thrownBy(() => new TursoDriver({ url: '' }));
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ObjectQLError);
    expect(err).toMatchObject({ name: 'ObjectQLError', code: 'CONFIG_ERROR' });
    expect((err as Error).message).toContain('Turso driver requires a "url"');
  });

  it('should throw CONFIG_ERROR for a missing url', () => {
    expect(thrownBy(() => new TursoDriver({} as TursoDriverConfig))).toMatchObject({ code: 'CONFIG_ERROR' });
  });
});

describe('given a people table with two records', () => {
  const sandbox = useSandbox();
  let d: TursoDriver;

  beforeEach(async () => {
    d = sandbox.driver({ url: sandbox.fileUrl() });
    await d.init([PEOPLE]);
    await d.bulkCreate('people', [
      { id: 'a', name: 'Alice', age: 30 },
      { id: 'b', name: 'Bob', age: 25 },
    ]);
  });

  const unchanged = async (): Promise<void> => {
    expect(byKey(await d.find('people', {})).map((r) => [r.id, r.name, r.age])).toEqual([
      ['a', 'Alice', 30],
      ['b', 'Bob', 25],
    ]);
  };

  const invalid = { code: 'INVALID_REQUEST', name: 'ObjectQLError' };

  it('should reject with an ObjectQLError that is an Error', async () => {
    const err = await d.find('people', { where: { age: { $foo: 1 } } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ObjectQLError);
    expect(err).toMatchObject(invalid);
    expect(typeof (err as Error).message).toBe('string');
  });

  it('should refuse unknown filter operators in every method that filters, and change nothing', async () => {
    const bad = { age: { $foo: 1 } };
    await expect(d.find('people', { where: bad })).rejects.toMatchObject(invalid);
    await expect(d.count('people', bad)).rejects.toMatchObject(invalid);
    await expect(d.distinct('people', 'name', bad)).rejects.toMatchObject(invalid);
    await expect(d.updateMany('people', bad, { name: 'X' })).rejects.toMatchObject(invalid);
    await expect(d.deleteMany('people', { name: { $regex: '.*' } })).rejects.toMatchObject(invalid);
    await expect(
      d.aggregate('people', { aggregates: { n: 'COUNT(*)' }, filters: bad }),
    ).rejects.toMatchObject(invalid);
    await expect(d.aggregate('people', [{ $match: bad }])).rejects.toMatchObject(invalid);
    await expect(d.explain('people', { where: bad })).rejects.toMatchObject(invalid);
    await unchanged();
  });

  it('should refuse unknown top-level $ keys', async () => {
    await expect(d.find('people', { where: { $where: 'age > 1' } })).rejects.toMatchObject(invalid);
    await expect(d.deleteMany('people', { $nor: [{ name: 'Alice' }] })).rejects.toMatchObject(invalid);
    await unchanged();
  });

  it('should refuse bad legacy operators and conjunctions', async () => {
    await expect(d.find('people', { filters: ['age', 'regexp', '.*'] })).rejects.toMatchObject(invalid);
    await expect(d.count('people', ['age', '>', 1, 'xor', 'age', '<', 99])).rejects.toMatchObject(invalid);
    await expect(d.deleteMany('people', ['name', 'sounds_like', 'Alice'])).rejects.toMatchObject(invalid);
    await unchanged();
  });

  it('should refuse a sort direction other than asc/desc', async () => {
    await expect(d.find('people', { sort: [['age', 'sideways' as 'asc']] })).rejects.toMatchObject(invalid);
    await expect(
      d.find('people', { orderBy: [{ field: 'age', order: 'up' as 'asc' }] }),
    ).rejects.toMatchObject(invalid);
  });

  it('should refuse aggregate expressions other than COUNT/SUM/AVG/MIN/MAX over *, a field or DISTINCT field', async () => {
    await expect(
      d.aggregate('people', {
        aggregates: { x: 'SUM(age); DROP TABLE people' },
      }),
    ).rejects.toMatchObject(invalid);
    await expect(d.aggregate('people', { aggregates: { x: 'LOWER(name)' } })).rejects.toMatchObject(invalid);
    await expect(d.aggregate('people', { aggregates: { x: 'total(age)' } })).rejects.toMatchObject(invalid);
    await unchanged();
  });

  it('should refuse bad identifiers in data, filters, fields and object names', async () => {
    await expect(d.create('people', { id: 'c', name: 'Carol', '': 1 })).rejects.toMatchObject(invalid);
    await expect(d.create('people', { id: 'c', name: 'Carol', 'bad\u0000col': 1 })).rejects.toMatchObject(
      invalid,
    );
    await expect(d.create('people', { id: 'c', name: 'Carol', 'bad\u001bcol': 1 })).rejects.toMatchObject(
      invalid,
    );
    await expect(d.create('people', { id: 'c', name: 'Carol', $set: { age: 1 } })).rejects.toMatchObject(
      invalid,
    );
    await expect(d.update('people', 'a', { name: 'X', $inc: 1 })).rejects.toMatchObject(invalid);
    await expect(d.upsert('people', { id: 'a', name: 'X', '': 1 })).rejects.toMatchObject(invalid);
    await expect(
      d.bulkCreate('people', [
        { id: 'c', name: 'Carol' },
        { id: 'd', 'x\ny': 1 },
      ]),
    ).rejects.toMatchObject(invalid);
    await expect(
      d.bulkUpdate('people', [
        { id: 'a', data: { name: 'X' } },
        { id: 'b', data: { '': 1 } },
      ]),
    ).rejects.toMatchObject(invalid);
    await expect(d.updateMany('people', {}, { 'na\u0000me': 'X' })).rejects.toMatchObject(invalid);
    await expect(d.find('people', { where: { 'a\u0000b': 1 } })).rejects.toMatchObject(invalid);
    await expect(d.find('people', { fields: ['name', ''] })).rejects.toMatchObject(invalid);
    await expect(d.distinct('people', '')).rejects.toMatchObject(invalid);
    await expect(d.find('', {})).rejects.toMatchObject(invalid);
    await expect(d.create('peo\u0000ple', { name: 'X' })).rejects.toMatchObject(invalid);
    await unchanged();
  });

  it('should leave the table as it was when the 3rd of 5 records breaks NOT NULL', async () => {
    await d.init([{ name: 'tasks', fields: { title: { type: 'text', required: true } } }]);
    await d.create('tasks', { id: 't0', title: 'existing' });
    const batch = [{ title: 'one' }, { title: 'two' }, { title: null }, { title: 'four' }, { title: 'five' }];
    await expect(d.bulkCreate('tasks', batch)).rejects.toMatchObject({
      name: 'ObjectQLError',
    });
    expect(await d.find('tasks', {})).toEqual([{ id: 't0', title: 'existing' }]);
  });

  it('should leave the table as it was when a bulkUpdate breaks NOT NULL half-way', async () => {
    await d.init([{ name: 'tasks', fields: { title: { type: 'text', required: true } } }]);
    await d.bulkCreate('tasks', [
      { id: '1', title: 'a' },
      { id: '2', title: 'b' },
      { id: '3', title: 'c' },
    ]);
    await expect(
      d.bulkUpdate('tasks', [
        { id: '1', data: { title: 'A' } },
        { id: '2', data: { title: null } },
        { id: '3', data: { title: 'C' } },
      ]),
    ).rejects.toMatchObject({ name: 'ObjectQLError' });
    expect(byKey(await d.find('tasks', {})).map((r) => r.title)).toEqual(['a', 'b', 'c']);
  });

  it('should reject update with empty data on a missing id with NOT_FOUND', async () => {
    await expect(d.update('people', 'missing', {})).rejects.toMatchObject({
      code: 'NOT_FOUND',
      name: 'ObjectQLError',
    });
  });

  it('should reject executeQuery without object or from with QUERY_ERROR', async () => {
    await expect(d.executeQuery({ where: { name: 'Alice' } })).rejects.toMatchObject({ code: 'QUERY_ERROR' });
  });

  it('should reject SQL errors with QUERY_ERROR', async () => {
    await expect(d.execute('SELEC 1')).rejects.toMatchObject({
      code: 'QUERY_ERROR',
      name: 'ObjectQLError',
    });
    await expect(d.execute({ sql: 'SELECT * FROM "no_such_table"' })).rejects.toMatchObject({
      code: 'QUERY_ERROR',
    });
    await expect(d.find('no_such_table', {})).rejects.toMatchObject({
      code: 'QUERY_ERROR',
    });
  });

  it('should reject a filter on a column that does not exist, not read it as a string', async () => {
    // With SQLite's double-quoted-string fallback, "nickname" = 'nickname' is true for every row.
    await expect(d.find('people', { where: { no_such_column: 1 } })).rejects.toMatchObject({
      code: 'QUERY_ERROR',
    });
    await expect(d.deleteMany('people', { nickname: 'nickname' })).rejects.toMatchObject({
      code: 'QUERY_ERROR',
    });
    await unchanged();
  });

  it('should keep the driver usable after an error', async () => {
    await expect(d.execute('SELEC 1')).rejects.toMatchObject({
      code: 'QUERY_ERROR',
    });
    await expect(d.create('people', { id: 'a', name: 'dup' })).rejects.toMatchObject({
      name: 'ObjectQLError',
    });
    await d.create('people', { id: 'c', name: 'Carol' });
    await expect(d.count('people', {})).resolves.toBe(3);
    await expect(d.checkHealth()).resolves.toBe(true);
  });
});

describe('given the optional peer @objectql/types', () => {
  interface Described {
    name: string;
    code: string;
    message: string;
    isError: boolean;
    isOwn: boolean;
    isPeer: boolean | null;
    fromFixture: boolean;
  }
  interface ProbeOutput {
    peerLoaded: boolean;
    config: Described;
    invalid: Described;
  }

  const probe = (nodePath: string | undefined): ProbeOutput => {
    const env = { ...process.env };
    delete env.NODE_PATH;
    if (nodePath) env.NODE_PATH = nodePath;
    const stdout = execFileSync(process.execPath, [path.join(__dirname, 'fixtures', 'peer-probe.js')], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 15000,
    });
    return JSON.parse(stdout) as ProbeOutput;
  };

  it('should throw and reject with instances of the peer class when it is installed', () => {
    const out = probe(path.join(__dirname, 'fixtures', 'peer'));
    expect(out.peerLoaded).toBe(true);
    expect(out.config).toMatchObject({
      code: 'CONFIG_ERROR',
      name: 'ObjectQLError',
      isPeer: true,
      isError: true,
      fromFixture: true,
    });
    expect(out.config.message).toContain('requires a "url"');
    expect(out.invalid).toMatchObject({
      code: 'INVALID_REQUEST',
      name: 'ObjectQLError',
      isPeer: true,
      isError: true,
      fromFixture: true,
    });
  });

  it('should use its own ObjectQLError when the peer is absent', () => {
    const out = probe(undefined);
    expect(out.peerLoaded).toBe(false);
    expect(out.config).toMatchObject({
      code: 'CONFIG_ERROR',
      name: 'ObjectQLError',
      isOwn: true,
      isError: true,
    });
    expect(out.invalid).toMatchObject({
      code: 'INVALID_REQUEST',
      name: 'ObjectQLError',
      isOwn: true,
      isError: true,
    });
  });
});
