import {
  compileFilter,
  compileSelect,
  fieldTypeToSqlite,
  isBooleanFieldType,
  isJsonFieldType,
  mapRow,
  mapRows,
  parseSort,
  quoteIdentifier,
  serializeRecord,
  serializeValue,
} from '..';
import { thrownBy } from './util';

describe('given quoteIdentifier', () => {
  it('should wrap a plain name in double quotes', () => {
    expect(quoteIdentifier('users')).toBe('"users"');
  });

  it('should double embedded double quotes', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(quoteIdentifier('table"name"')).toBe('"table""name"""');
  });

  it('should refuse an empty name with INVALID_REQUEST', () => {
    expect(thrownBy(() => quoteIdentifier(''))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('should refuse a name with a NUL or control character with INVALID_REQUEST', () => {
    expect(thrownBy(() => quoteIdentifier('a\u0000b'))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(thrownBy(() => quoteIdentifier('a\nb'))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });
});

describe('given compileFilter with an empty filter', () => {
  it('should compile null, undefined and {} to no condition', () => {
    expect(compileFilter(null)).toEqual({ sql: '', args: [] });
    expect(compileFilter(undefined)).toEqual({ sql: '', args: [] });
    expect(compileFilter({})).toEqual({ sql: '', args: [] });
  });
});

describe('given compileFilter with the object form', () => {
  it('should compile direct equality', () => {
    expect(compileFilter({ name: 'Alice' })).toEqual({
      sql: '"name" = ?',
      args: ['Alice'],
    });
  });

  it('should compile a null value to IS NULL without an argument', () => {
    expect(compileFilter({ name: null })).toEqual({
      sql: '"name" IS NULL',
      args: [],
    });
  });

  it('should join top-level keys with AND, arguments in key order', () => {
    expect(compileFilter({ name: 'Alice', age: 30 })).toEqual({
      sql: '"name" = ? AND "age" = ?',
      args: ['Alice', 30],
    });
  });

  it.each([
    ['$eq', 'active', '"status" = ?', ['active']],
    ['$ne', 'deleted', '"status" != ?', ['deleted']],
    ['$gt', 18, '"status" > ?', [18]],
    ['$gte', 18, '"status" >= ?', [18]],
    ['$lt', 65, '"status" < ?', [65]],
    ['$lte', 65, '"status" <= ?', [65]],
    ['$like', '%li%', '"status" LIKE ?', ['%li%']],
  ])('should compile %s', (op, value, sql, args) => {
    expect(compileFilter({ status: { [op]: value } })).toEqual({ sql, args });
  });

  it('should compile { age: { $gt: 18 } } to a placeholder', () => {
    expect(compileFilter({ age: { $gt: 18 } })).toEqual({
      sql: '"age" > ?',
      args: [18],
    });
  });

  it('should compile $eq null and $ne null to IS NULL / IS NOT NULL', () => {
    expect(compileFilter({ s: { $eq: null } })).toEqual({
      sql: '"s" IS NULL',
      args: [],
    });
    expect(compileFilter({ s: { $ne: null } })).toEqual({
      sql: '"s" IS NOT NULL',
      args: [],
    });
  });

  it('should compile several operators on one field with AND', () => {
    expect(compileFilter({ age: { $gte: 18, $lte: 65 } })).toEqual({
      sql: '"age" >= ? AND "age" <= ?',
      args: [18, 65],
    });
  });

  it('should compile $in and $nin with one placeholder per value', () => {
    expect(compileFilter({ s: { $in: ['a', 'b'] } })).toEqual({
      sql: '"s" IN (?, ?)',
      args: ['a', 'b'],
    });
    expect(compileFilter({ s: { $nin: ['x'] } })).toEqual({
      sql: '"s" NOT IN (?)',
      args: ['x'],
    });
  });

  it('should compile an empty $in to 1=0 and an empty $nin to 1=1', () => {
    expect(compileFilter({ s: { $in: [] } })).toEqual({ sql: '1=0', args: [] });
    expect(compileFilter({ s: { $nin: [] } })).toEqual({
      sql: '1=1',
      args: [],
    });
  });

  it('should compile $exists', () => {
    expect(compileFilter({ email: { $exists: true } })).toEqual({
      sql: '"email" IS NOT NULL',
      args: [],
    });
    expect(compileFilter({ email: { $exists: false } })).toEqual({
      sql: '"email" IS NULL',
      args: [],
    });
  });

  it('should compile $between', () => {
    expect(compileFilter({ age: { $between: [18, 65] } })).toEqual({
      sql: '"age" BETWEEN ? AND ?',
      args: [18, 65],
    });
  });

  it('should compile $and, $or and $not', () => {
    expect(compileFilter({ $and: [{ age: { $gte: 18 } }, { age: { $lte: 65 } }] })).toEqual({
      sql: '("age" >= ? AND "age" <= ?)',
      args: [18, 65],
    });
    expect(compileFilter({ $or: [{ name: 'A' }, { name: 'B' }] })).toEqual({
      sql: '("name" = ? OR "name" = ?)',
      args: ['A', 'B'],
    });
    expect(compileFilter({ $not: { status: 'deleted' } })).toEqual({
      sql: 'NOT ("status" = ?)',
      args: ['deleted'],
    });
  });

  it('should nest logical operators and keep the arguments in order', () => {
    expect(
      compileFilter({
        kind: 'x',
        $or: [{ $and: [{ a: 1 }, { b: 2 }] }, { c: { $in: [3, 4] } }],
      }),
    ).toEqual({
      sql: '"kind" = ? AND (("a" = ? AND "b" = ?) OR "c" IN (?, ?))',
      args: ['x', 1, 2, 3, 4],
    });
  });

  it('should quote field names that contain a double quote', () => {
    expect(compileFilter({ 'a"b': 1 })).toEqual({
      sql: '"a""b" = ?',
      args: [1],
    });
  });
});

describe('given compileFilter with the legacy array form', () => {
  it('should compile a single condition', () => {
    expect(compileFilter(['age', '>', 18])).toEqual({
      sql: '"age" > ?',
      args: [18],
    });
  });

  it('should compile conditions joined by a conjunction', () => {
    expect(compileFilter(['age', '>', 18, 'and', 'name', '=', 'x'])).toEqual({
      sql: '"age" > ? AND "name" = ?',
      args: [18, 'x'],
    });
  });

  it.each([
    ['=', '"f" = ?'],
    ['eq', '"f" = ?'],
    ['!=', '"f" != ?'],
    ['<>', '"f" != ?'],
    ['ne', '"f" != ?'],
    ['>', '"f" > ?'],
    ['gt', '"f" > ?'],
    ['>=', '"f" >= ?'],
    ['gte', '"f" >= ?'],
    ['<', '"f" < ?'],
    ['lt', '"f" < ?'],
    ['<=', '"f" <= ?'],
    ['lte', '"f" <= ?'],
    ['like', '"f" LIKE ?'],
  ])('should compile the operator %s', (op, sql) => {
    expect(compileFilter(['f', op, 5])).toEqual({ sql, args: [5] });
  });

  it('should compile in, notin, not_in and between', () => {
    expect(compileFilter(['f', 'in', ['a', 'b']])).toEqual({
      sql: '"f" IN (?, ?)',
      args: ['a', 'b'],
    });
    expect(compileFilter(['f', 'notin', ['a']])).toEqual({
      sql: '"f" NOT IN (?)',
      args: ['a'],
    });
    expect(compileFilter(['f', 'not_in', ['a']])).toEqual({
      sql: '"f" NOT IN (?)',
      args: ['a'],
    });
    expect(compileFilter(['f', 'between', [1, 9]])).toEqual({
      sql: '"f" BETWEEN ? AND ?',
      args: [1, 9],
    });
  });

  it('should compile = null to IS NULL', () => {
    expect(compileFilter(['f', '=', null])).toEqual({
      sql: '"f" IS NULL',
      args: [],
    });
  });
});

describe('given compileFilter with something it does not know', () => {
  it('should refuse an unknown field operator with INVALID_REQUEST', () => {
    expect(thrownBy(() => compileFilter({ age: { $foo: 1 } }))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('should refuse an unknown top-level $ key with INVALID_REQUEST', () => {
    expect(thrownBy(() => compileFilter({ $where: '1=1' }))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('should refuse an unknown legacy operator with INVALID_REQUEST', () => {
    expect(thrownBy(() => compileFilter(['age', 'regexp', '.*']))).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('should refuse an unknown legacy conjunction with INVALID_REQUEST', () => {
    expect(thrownBy(() => compileFilter(['age', '>', 1, 'xor', 'age', '<', 9]))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('should refuse bad field names with INVALID_REQUEST', () => {
    expect(thrownBy(() => compileFilter({ '': 1 }))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(thrownBy(() => compileFilter({ 'a\u0000b': 1 }))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(thrownBy(() => compileFilter({ 'a\u0007b': 1 }))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('should throw an ObjectQLError, not a plain error', () => {
    const err = thrownBy(() => compileFilter({ age: { $foo: 1 } }));
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({
      name: 'ObjectQLError',
      code: 'INVALID_REQUEST',
    });
    expect(typeof (err as Error).message).toBe('string');
  });
});

describe('given compileSelect', () => {
  it('should select every column', () => {
    expect(compileSelect({ objectName: 'users' })).toEqual({
      sql: 'SELECT * FROM "users"',
      args: [],
    });
  });

  it('should select the listed fields, quoted', () => {
    expect(compileSelect({ objectName: 'users', fields: ['name', 'age'] }).sql).toBe(
      'SELECT "name", "age" FROM "users"',
    );
  });

  it('should add the WHERE clause and its arguments', () => {
    expect(
      compileSelect({
        objectName: 'users',
        where: { sql: '"age" > ?', args: [18] },
      }),
    ).toEqual({
      sql: 'SELECT * FROM "users" WHERE "age" > ?',
      args: [18],
    });
  });

  it('should add ORDER BY, ascending by default', () => {
    expect(
      compileSelect({
        objectName: 'users',
        orderBy: [{ field: 'name' }, { field: 'age', direction: 'desc' }],
      }).sql,
    ).toBe('SELECT * FROM "users" ORDER BY "name" ASC, "age" DESC');
  });

  it('should bind limit and offset as arguments', () => {
    expect(compileSelect({ objectName: 'users', limit: 10, offset: 20 })).toEqual({
      sql: 'SELECT * FROM "users" LIMIT ? OFFSET ?',
      args: [10, 20],
    });
  });

  it('should compose every part, WHERE arguments before limit and offset', () => {
    expect(
      compileSelect({
        objectName: 'users',
        fields: ['name', 'age'],
        where: { sql: '"age" > ?', args: [18] },
        orderBy: [{ field: 'name', direction: 'desc' }],
        limit: 10,
        offset: 0,
      }),
    ).toEqual({
      sql: 'SELECT "name", "age" FROM "users" WHERE "age" > ? ORDER BY "name" DESC LIMIT ? OFFSET ?',
      args: [18, 10, 0],
    });
  });

  it('should refuse a direction other than asc/desc with INVALID_REQUEST', () => {
    expect(
      thrownBy(() =>
        compileSelect({
          objectName: 'users',
          orderBy: [{ field: 'name', direction: 'sideways' as unknown as 'asc' }],
        }),
      ),
    ).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('given parseSort', () => {
  const nameAscAgeDesc = [
    { field: 'name', direction: 'asc' },
    { field: 'age', direction: 'desc' },
  ];

  it('should return [] for nothing', () => {
    expect(parseSort(null)).toEqual([]);
    expect(parseSort(undefined)).toEqual([]);
  });

  it('should parse tuples', () => {
    expect(
      parseSort([
        ['name', 'asc'],
        ['age', 'desc'],
      ]),
    ).toEqual(nameAscAgeDesc);
  });

  it('should parse a tuple without direction and a bare field name as ascending', () => {
    expect(parseSort([['name'], 'age'])).toEqual([
      { field: 'name', direction: 'asc' },
      { field: 'age', direction: 'asc' },
    ]);
  });

  it('should parse { field, direction } and { field, order } objects', () => {
    expect(
      parseSort([
        { field: 'name', direction: 'asc' },
        { field: 'age', direction: 'desc' },
      ]),
    ).toEqual(nameAscAgeDesc);
    expect(
      parseSort([
        { field: 'name', order: 'asc' },
        { field: 'age', order: 'desc' },
      ]),
    ).toEqual(nameAscAgeDesc);
    expect(parseSort([{ field: 'name' }])).toEqual([{ field: 'name', direction: 'asc' }]);
  });

  it('should parse { f: 1, g: -1 } and { f: "asc", g: "desc" }', () => {
    expect(parseSort({ name: 1, age: -1 })).toEqual(nameAscAgeDesc);
    expect(parseSort({ name: 'asc', age: 'desc' })).toEqual(nameAscAgeDesc);
  });

  it('should parse the string form', () => {
    expect(parseSort('name asc, age desc')).toEqual(nameAscAgeDesc);
    expect(parseSort('name')).toEqual([{ field: 'name', direction: 'asc' }]);
  });

  it('should accept upper-case directions as the TypeScript package did', () => {
    expect(
      parseSort([
        ['name', 'ASC'],
        ['age', 'DESC'],
      ]),
    ).toEqual(nameAscAgeDesc);
    expect(parseSort('name ASC, age DESC')).toEqual(nameAscAgeDesc);
  });

  it('should refuse other directions with INVALID_REQUEST', () => {
    expect(thrownBy(() => parseSort([['a', 'sideways']]))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(thrownBy(() => parseSort('a sideways'))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(thrownBy(() => parseSort([{ field: 'a', direction: 'up' }]))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(thrownBy(() => parseSort('a; DROP TABLE users'))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });
});

describe('given fieldTypeToSqlite', () => {
  it.each([
    [
      'TEXT',
      [
        'text',
        'string',
        'textarea',
        'richtext',
        'html',
        'markdown',
        'url',
        'email',
        'phone',
        'select',
        'lookup',
        'master_detail',
        'autonumber',
      ],
    ],
    ['INTEGER', ['number', 'integer', 'int', 'boolean', 'toggle']],
    ['REAL', ['float', 'decimal', 'currency', 'percent']],
    ['TEXT', ['date', 'datetime', 'timestamp', 'time', 'json', 'object', 'array', 'multiselect']],
    ['BLOB', ['blob', 'binary', 'image', 'file']],
    ['TEXT', ['unknown_type', '']],
  ])('should map to %s: %j', (sqlType, fieldTypes) => {
    for (const t of fieldTypes) {
      expect([t, fieldTypeToSqlite(t)]).toEqual([t, sqlType]);
    }
  });
});

describe('given isJsonFieldType and isBooleanFieldType', () => {
  it('should know the JSON types', () => {
    for (const t of ['json', 'object', 'array', 'multiselect'])
      expect([t, isJsonFieldType(t)]).toEqual([t, true]);
    for (const t of ['text', 'integer', 'boolean', 'select'])
      expect([t, isJsonFieldType(t)]).toEqual([t, false]);
  });

  it('should know the boolean types', () => {
    for (const t of ['boolean', 'toggle']) expect([t, isBooleanFieldType(t)]).toEqual([t, true]);
    for (const t of ['text', 'integer', 'json', 'number'])
      expect([t, isBooleanFieldType(t)]).toEqual([t, false]);
  });
});

describe('given mapRow and mapRows', () => {
  it('should pass plain values through', () => {
    expect(mapRow({ id: '1', name: 'Alice', age: 30, n: null })).toEqual({
      id: '1',
      name: 'Alice',
      age: 30,
      n: null,
    });
  });

  it('should parse JSON fields named in a Set or an array', () => {
    const row = {
      id: '1',
      meta: '{"role":"admin","tags":["a"]}',
      list: '[1,2]',
    };
    const expected = {
      id: '1',
      meta: { role: 'admin', tags: ['a'] },
      list: [1, 2],
    };
    expect(mapRow(row, new Set(['meta', 'list']))).toEqual(expected);
    expect(mapRow(row, ['meta', 'list'])).toEqual(expected);
  });

  it('should keep text that does not parse as JSON', () => {
    expect(mapRow({ meta: 'not-json' }, ['meta'])).toEqual({
      meta: 'not-json',
    });
  });

  it('should turn 0/1 into booleans for boolean fields only', () => {
    expect(mapRow({ active: 1, off: 0, n: 1 }, undefined, new Set(['active', 'off']))).toEqual({
      active: true,
      off: false,
      n: 1,
    });
    expect(mapRow({ active: 1, off: 0 }, [], ['active', 'off'])).toEqual({
      active: true,
      off: false,
    });
  });

  it('should not change the input row', () => {
    const row = { meta: '{"a":1}', active: 1 };
    mapRow(row, ['meta'], ['active']);
    expect(row).toEqual({ meta: '{"a":1}', active: 1 });
  });

  it('should map every row of a list', () => {
    expect(
      mapRows(
        [
          { a: 1, m: '[1]' },
          { a: 0, m: '{}' },
        ],
        ['m'],
        ['a'],
      ),
    ).toEqual([
      { a: true, m: [1] },
      { a: false, m: {} },
    ]);
    expect(mapRows([])).toEqual([]);
  });
});

describe('given serializeValue and serializeRecord', () => {
  it('should turn null and undefined into null', () => {
    expect(serializeValue(null, 'f')).toBeNull();
    expect(serializeValue(undefined, 'f')).toBeNull();
    expect(serializeValue(null, 'f', ['f'], ['f'])).toBeNull();
  });

  it('should write JSON text for JSON fields and let strings through', () => {
    expect(serializeValue({ role: 'admin' }, 'meta', new Set(['meta']))).toBe('{"role":"admin"}');
    expect(serializeValue([1, 'a'], 'meta', ['meta'])).toBe('[1,"a"]');
    expect(serializeValue('already-text', 'meta', ['meta'])).toBe('already-text');
  });

  it('should write 0/1 for boolean fields', () => {
    expect(serializeValue(true, 'active', undefined, new Set(['active']))).toBe(1);
    expect(serializeValue(false, 'active', undefined, ['active'])).toBe(0);
  });

  it('should let other values through', () => {
    expect(serializeValue('hello', 'name')).toBe('hello');
    expect(serializeValue(42, 'n', ['meta'], ['active'])).toBe(42);
  });

  it('should serialize every key of a record', () => {
    expect(
      serializeRecord(
        {
          name: 'Alice',
          active: true,
          meta: { role: 'admin' },
          gone: undefined,
          n: 3,
        },
        new Set(['meta']),
        ['active'],
      ),
    ).toEqual({
      name: 'Alice',
      active: 1,
      meta: '{"role":"admin"}',
      gone: null,
      n: 3,
    });
  });
});
