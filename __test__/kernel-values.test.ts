// Values by field kind under the kernel contract, as the kernel's SQL driver writes and
// compares them: dates `YYYY-MM-DD`, date-times UTC ISO with milliseconds, times
// `HH:MM:SS[.fff]`, in writes, filter comparands (Date objects, offsets, short times,
// whole-day bounds) and reads; 'NOW()' defaults in the field's stored form; runtime tokens
// never a column default. (`cross-driver.test.ts` checks the same file through both drivers.)

import { TursoDriver } from '..';
import { useSandbox } from './util';

type Row = Record<string, unknown>;

const SHIFT = {
  name: 'shift',
  fields: {
    title: { type: 'text' },
    day: { type: 'date' },
    starts: { type: 'datetime' },
    opens: { type: 'time' },
  },
};

const box = useSandbox();

async function kernelDriver(objects: object[] = [SHIFT]): Promise<TursoDriver> {
  const driver = box.driver({ url: box.fileUrl(), contract: 'objectstack' });
  await driver.init(objects as never);
  return driver;
}

const ids = (rows: Row[]) => rows.map((r) => r.id).sort();

/** The cells as SQLite holds them: what another driver reading the file would see. */
async function stored(driver: TursoDriver, table: string, column: string): Promise<Row[]> {
  return (await driver.execute(
    `SELECT id, typeof("${column}") AS t, "${column}" AS v FROM "${table}" ORDER BY id`,
  )) as unknown as Row[];
}

describe('dates, date-times and times under the kernel contract', () => {
  it('stores every spelling of one value in one form', async () => {
    const d = await kernelDriver();
    const writes: Row[] = [
      {
        id: '1',
        day: new Date('2026-09-05T00:00:00Z'),
        starts: new Date('2026-09-05T10:00:00Z'),
        opens: '14:30',
      },
      {
        id: '2',
        day: '2026-09-05T22:00:00.000Z',
        starts: '2026-09-05T12:00:00+02:00',
        opens: '14:30:00.000',
      },
      {
        id: '3',
        day: ' 2026-09-05 ',
        starts: '2026-09-05 10:00:00',
        opens: new Date('2020-01-01T14:30:00Z'),
      },
      { id: '4', day: '2026-09-05', starts: 1788602400000, opens: '14:30:00' },
    ];
    for (const row of writes) await d.create('shift', row);
    for (const [column, form] of [
      ['day', '2026-09-05'],
      ['starts', '2026-09-05T10:00:00.000Z'],
      ['opens', '14:30:00'],
    ]) {
      expect((await stored(d, 'shift', column)).map((r) => [r.t, r.v])).toEqual(
        Array(4).fill(['text', form]),
      );
    }
    // Updates take the same forms.
    await d.update('shift', '1', { starts: '2026-09-05T11:00:00-01:00', opens: '09:05:00.5' });
    expect(await d.findOne('shift', '1')).toMatchObject({
      starts: '2026-09-05T12:00:00.000Z',
      opens: '09:05:00.500',
    });
  });

  it('compares filter values in the stored form, in every method', async () => {
    const d = await kernelDriver();
    await d.bulkCreate('shift', [
      { id: 'a', day: '2026-09-05', starts: '2026-09-05T00:00:00.000Z', opens: '14:30:00' },
      { id: 'b', day: '2026-09-06', starts: '2026-09-05T23:59:59.999Z', opens: '09:00:00.500' },
      { id: 'c', day: '2026-09-04', starts: '2026-09-06T00:00:00.000Z', opens: '18:00:00' },
    ]);
    const cases: Array<[Row, string[]]> = [
      [{ day: new Date('2026-09-05T00:00:00Z') }, ['a']],
      [{ day: '2026-09-05T18:00:00Z' }, ['a']],
      [{ starts: new Date('2026-09-05T00:00:00Z') }, ['a']],
      [{ starts: '2026-09-05T02:00:00+02:00' }, ['a']],
      [{ starts: '2026-09-05' }, ['a']],
      // A bare-day upper bound on a date-time covers the day; an instant stays exact.
      [{ starts: { $lte: '2026-09-05' } }, ['a', 'b']],
      [{ starts: { $lte: '2026-09-05T12:00:00Z' } }, ['a']],
      [{ starts: { $between: ['2026-09-05', '2026-09-05'] } }, ['a', 'b']],
      [{ starts: { $lt: '2026-09-06' } }, ['a', 'b']],
      [{ starts: { $in: ['2026-09-06T02:00:00+02:00'] } }, ['c']],
      [{ opens: '14:30' }, ['a']],
      [{ opens: { $gt: '09:00' } }, ['a', 'b', 'c']],
      [{ opens: { $gte: '09:00:00.5', $lte: '14:30' } }, ['a', 'b']],
    ];
    for (const [where, expected] of cases) {
      expect({ where, rows: ids(await d.find('shift', { where })) }).toEqual({ where, rows: expected });
      expect({ where, count: await d.count('shift', { where }) }).toEqual({ where, count: expected.length });
    }
    expect(await d.updateMany('shift', { where: { starts: { $lte: '2026-09-05' } } }, { title: 'x' })).toBe(
      2,
    );
    expect(await d.deleteMany('shift', { where: { opens: '18:00' } })).toBe(1);
  });

  it('keeps what it cannot read as given, and reads it back unchanged', async () => {
    const d = await kernelDriver();
    await d.create('shift', { id: 'j', day: 'someday', starts: 'tomorrow', opens: '25:00' });
    expect(await d.findOne('shift', 'j')).toMatchObject({
      day: 'someday',
      starts: 'tomorrow',
      opens: '25:00',
    });
  });

  it('offers the stored form to raw SQL (temporalFilterValue / temporalFilterColumnSql)', async () => {
    const d = await kernelDriver();
    expect(d.temporalFilterValue('shift', 'starts', new Date('2026-09-05T10:00:00Z'))).toBe(
      '2026-09-05T10:00:00.000Z',
    );
    expect(d.temporalFilterValue('shift', 'starts', '2026-09-05T12:00:00+02:00')).toBe(
      '2026-09-05T10:00:00.000Z',
    );
    expect(d.temporalFilterValue('shift', 'day', '2026-09-05T10:00:00Z')).toBe('2026-09-05');
    expect(d.temporalFilterValue('shift', 'opens', '9:5')).toBe('9:5');
    expect(d.temporalFilterValue('shift', 'title', '2026-09-05T12:00:00+02:00')).toBe(
      '2026-09-05T12:00:00+02:00',
    );
    // A synced table's columns are canonical: raw SQL compares them as they are.
    expect(d.temporalFilterColumnSql('shift', 'starts', '"starts"')).toBe('"starts"');
  });

  it('reads older stored forms through the filter where no schema sync canonicalised them', async () => {
    const url = box.fileUrl('legacy.db');
    const old = box.driver({ url });
    await old.init([SHIFT as never]);
    await old.execute(
      `INSERT INTO shift (id, starts, opens) VALUES ('e', 1788602400000, 52200000), ('t', '2026-09-05 10:00:00', '14:30')`,
    );
    await old.disconnect();
    // A boot that skips schema sync: the driver learns the objects, the file is as it was.
    const d = box.driver({ url, contract: 'objectstack' });
    await d.registerObjectMetadata([SHIFT]);
    expect(d.temporalFilterColumnSql('shift', 'starts', '"starts"')).toContain('strftime');
    expect(ids(await d.find('shift', { where: { starts: '2026-09-05T10:00:00.000Z' } }))).toEqual(['e', 't']);
    expect(ids(await d.find('shift', { where: { opens: '14:30:00' } }))).toEqual(['e', 't']);
    expect(
      (await d.find('shift', { orderBy: [{ field: 'id', order: 'asc' }] })).map((r) => r.starts),
    ).toEqual(['2026-09-05T10:00:00.000Z', '2026-09-05T10:00:00.000Z']);
  });
});

describe('defaultValue tokens under the kernel contract', () => {
  const TOKENS = {
    name: 'note',
    fields: {
      owner: { type: 'text', defaultValue: 'current_user' },
      at: { type: 'datetime', defaultValue: 'NOW()' },
      on: { type: 'date', defaultValue: 'now()' },
      clock: { type: 'time', defaultValue: ' NOW() ' },
      status: { type: 'text', defaultValue: "it's new" },
      meta: { type: 'json', defaultValue: { a: 1 } },
    },
  };

  it("never writes a runtime token into the DDL; 'NOW()' is the clock in the field's form", async () => {
    const d = await kernelDriver([TOKENS]);
    const columns = (await d.execute(
      `SELECT name, dflt_value FROM pragma_table_info('note')`,
    )) as unknown as Row[];
    const defaults = Object.fromEntries(columns.map((c) => [c.name, c.dflt_value]));
    expect(defaults.owner).toBeNull();
    expect(defaults.meta).toBeNull();
    expect(defaults.status).toBe("'it''s new'");
    for (const column of ['at', 'on', 'clock']) expect(String(defaults[column])).toContain("'now'");
    const row = await d.create('note', {});
    expect(row.owner).toBeNull();
    expect(row.status).toBe("it's new");
    expect(row.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(row.on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(row.clock).toMatch(/^\d{2}:\d{2}:\d{2}(\.\d{3})?$/);
  });

  it("'NOW()' written to a field is the time of the write", async () => {
    const d = await kernelDriver([TOKENS]);
    const before = Date.now();
    const row = await d.create('note', { at: 'now()', status: 'NOW()' });
    expect(Date.parse(row.at as string)).toBeGreaterThanOrEqual(before - 1);
    expect(row.status).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('a column added to an existing table takes no clock default (SQLite refuses one) and no NOT NULL', async () => {
    const d = await kernelDriver([{ name: 'note', fields: { status: { type: 'text' } } }]);
    await d.create('note', { id: 'old' });
    await d.syncSchema('note', {
      name: 'note',
      fields: { status: { type: 'text' }, at: { type: 'datetime', required: true, defaultValue: 'NOW()' } },
    });
    expect(await d.findOne('note', 'old')).toMatchObject({ at: null });
  });

  it('the 4.2.2 contract keeps its literal defaults', async () => {
    const d = box.driver({ url: box.fileUrl() });
    await d.init([{ name: 'note', fields: { owner: { type: 'text', defaultValue: 'current_user' } } }]);
    expect((await d.create('note', {})).owner).toBe('current_user');
  });
});

test('an audit column an older writer left zone-less reads back as a UTC instant', async () => {
  const d = box.driver({ url: box.fileUrl(), contract: 'objectstack' });
  await d.init([{ name: 'thing', fields: { name: { type: 'text' } } }] as never);
  await d.execute(`INSERT INTO thing (id, name, created_at) VALUES ('old', 'x', '2026-01-15 08:30:00')`);
  expect(await d.findOne('thing', 'old')).toMatchObject({ created_at: '2026-01-15T08:30:00.000Z' });
});
