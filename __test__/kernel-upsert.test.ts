// The kernel's upsert at its edges: conflict keys no unique index backs are a request the
// table cannot serve (VALIDATION_ERROR, 400: declare the index), with SQLite's own words
// and the statement (never its values) kept in `cause`; the kernel's keyless form still
// takes its options; and an autonumber counter behind its table does not refuse the insert.

import { useSandbox } from './util';

const CONTACT = {
  name: 'contact',
  fields: { email: { type: 'text', unique: true }, title: { type: 'text' } },
};
const PLAIN = { name: 'plain', fields: { email: { type: 'text' }, title: { type: 'text' } } };
const CASE = {
  name: 'crm_case',
  fields: {
    organization_id: { type: 'text' },
    case_number: { type: 'autonumber', format: 'CASE-{00000}', unique: true },
    title: { type: 'text' },
  },
};

describe('given the kernel contract and an upsert on conflict keys', () => {
  const sandbox = useSandbox();
  const driver = () => sandbox.driver({ url: sandbox.fileUrl(), contract: 'objectstack' });

  it('should refuse keys no unique index backs as VALIDATION_ERROR, keeping the values out of the message', async () => {
    const d = driver();
    await d.init([CONTACT, PLAIN]);
    const err = await d.upsert('plain', { email: 'leaked@example.com', title: 'secret' }, ['email']).then(
      () => undefined,
      (e: { code?: string; status?: number; message: string; cause?: Error }) => e,
    );
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    expect(err!.message.split('. ')[0]).toBe(
      'Cannot upsert into "plain" on conflict keys ("email"): no PRIMARY KEY or UNIQUE index backs them, ' +
        'so the merge target does not exist and the database refuses the statement',
    );
    expect(err!.message).not.toMatch(/leaked|secret|insert into/i);
    expect(err!.cause?.message).toMatch(/ON CONFLICT clause does not match.*\(in: INSERT INTO "plain"/);
    expect(err!.cause?.message).not.toMatch(/leaked|secret/);
    // Backed keys merge; other failures stay what they are.
    await d.upsert('contact', { email: 'a@b', title: 'first' }, ['email']);
    await d.upsert('contact', { email: 'a@b', title: 'second' }, ['email']);
    expect(await d.find('contact', {})).toEqual([expect.objectContaining({ email: 'a@b', title: 'second' })]);
    await expect(d.upsert('never_made', { id: 'x' })).rejects.toMatchObject({ code: 'DATABASE_ERROR' });
  });

  it('should take the options of the keyless form, upsert(object, data, undefined, options)', async () => {
    const d = driver();
    await d.init([CONTACT]);
    const tx = await d.beginTransaction();
    await d.upsert('contact', { id: 'c1', email: 'in@tx' }, undefined as unknown as string[], {
      transaction: tx,
    });
    expect(await d.find('contact', {})).toEqual([]);
    await d.rollback(tx);
    expect(await d.find('contact', {})).toEqual([]);
  });

  it('should move a counter behind its table past it instead of refusing the insert', async () => {
    const d = driver();
    await d.init([CASE]);
    const a = { tenantId: 'A' };
    expect((await d.create('crm_case', { title: 'first' }, a)).case_number).toBe('CASE-00001');
    for (let n = 2; n <= 20; n++) {
      await d.execute(
        `INSERT INTO crm_case (id, organization_id, case_number) VALUES ('s${n}', 'A', 'CASE-${String(n).padStart(5, '0')}')`,
      );
    }
    expect((await d.create('crm_case', { title: 'after the seeds' }, a)).case_number).toBe('CASE-00021');
    const rows = (await d.bulkCreate('crm_case', [{ title: 'b1' }, { title: 'b2' }], a)) as Array<{
      case_number: string;
    }>;
    expect(rows.map((r) => r.case_number)).toEqual(['CASE-00022', 'CASE-00023']);
    expect((await d.upsert('crm_case', { title: 'u' }, ['id'], a))!.case_number).toBe('CASE-00024');
  });
});
