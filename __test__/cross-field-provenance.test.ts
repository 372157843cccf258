// Who may read a cross-field refusal's full text. The engine merges an administrator's
// read-scope rules into the caller's `where` and marks the arms it can attribute
// (`markFilterSubtreeProvenance`, @objectstack/spec/data). A refused `{ $field }` names
// its fields only to the author of the subtree it sits in; everyone else gets a text that
// names none, and the full one goes to the driver's logger.

import type * as SpecData from '@objectstack/spec/dist/data/index';

import { TursoDriver, type Filter } from '..';
import { DB_KINDS, urlFor, useSandbox } from './util';

// The runtime through the package's `exports` map, the types through the file (see
// support/conformance.ts: `moduleResolution: node10` cannot read `exports`).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { markFilterSubtreeProvenance }: typeof SpecData = require('@objectstack/spec/data');

const TASK = {
  name: 'task',
  fields: {
    title: { type: 'text' },
    effort: { type: 'number' },
    estimate: { type: 'number' },
    due: { type: 'date' },
    organization_id: { type: 'text' },
  },
};

/** Names a caller-visible text must not carry when the subtree is not theirs. */
const NAMES = ['effort', 'estimate', 'organization_id', 'unknown_col', 'title', 'due'];

describe.each(DB_KINDS)(
  'given a kernel-contract driver (%s) and a refused cross-field comparison',
  (kind) => {
    const sandbox = useSandbox(kind);
    let d: TursoDriver;
    let logged: string[];

    beforeEach(async () => {
      logged = [];
      d = sandbox.driver({
        url: urlFor(sandbox, kind),
        contract: 'objectstack',
        logger: { warn: (m: string) => void logged.push(m) },
      });
      await d.syncSchemasBatch([{ object: 'task', schema: TASK }]);
      await d.create('task', { title: 'a', effort: 3, estimate: 2, due: '2026-02-01' }, { tenantId: 'T' });
    });

    const refusal = async (where: Filter): Promise<{ code?: string; status?: number; message: string }> => {
      try {
        await d.find('task', { where }, { tenantId: 'T' });
      } catch (e) {
        return e as { code?: string; status?: number; message: string };
      }
      throw new Error('expected a refusal');
    };

    it('should withhold every name from an unmarked or policy-marked filter, and log the full text', async () => {
      for (const where of [
        { effort: { $gt: { $field: 'unknown_col' } } },
        markFilterSubtreeProvenance({ title: { $eq: { $field: 'organization_id' } } }, 'policy'),
        { $or: [{ title: 'a' }, { effort: { $in: [1, { $field: 'estimate' }] } }] },
        { due: { $lte: { $field: 'effort' } } },
      ]) {
        logged = [];
        const err = await refusal(where);
        expect([err.code, err.status]).toEqual(['INVALID_FILTER', 400]);
        for (const name of NAMES) expect(err.message).not.toContain(name);
        expect(logged).toHaveLength(1);
        expect(logged[0]).toMatch(/Operator "\$(gt|eq|in|lte)" on field "(effort|title|due)"/);
      }
    });

    it('should give the author of the refused subtree the full text, and log nothing', async () => {
      const authored = markFilterSubtreeProvenance({ effort: { $gt: { $field: 'unknown_col' } } }, 'author');
      // Merged under an unmarked root beside a compiling comparison, as the engine merges.
      const err = await refusal({ $and: [{ effort: { $gte: { $field: 'estimate' } } }, authored] });
      expect(err.code).toBe('INVALID_FILTER');
      expect(err.message).toContain('"unknown_col" is not a declared field of "task"');
      expect(logged).toEqual([]);

      const member = await refusal(
        markFilterSubtreeProvenance({ effort: { $nin: [{ $field: 'estimate' }] } }, 'author'),
      );
      expect(member.message).toContain('at index 0 of its value list');

      const bare = await refusal(markFilterSubtreeProvenance({ effort: { $field: 'estimate' } }, 'author'));
      expect(bare.message).toContain('{ "effort": { "$eq": { "$field": "estimate" } } }');
    });

    it('should let the innermost mark decide', async () => {
      const policy = markFilterSubtreeProvenance(
        { title: { $contains: { $field: 'organization_id' } } },
        'policy',
      );
      const err = await refusal(markFilterSubtreeProvenance({ $and: [{ effort: 1 }, policy] }, 'author'));
      expect(err.message).not.toContain('organization_id');
      expect(logged.join('\n')).toContain('organization_id');
    });

    it('should still compile the comparisons that are allowed, marked or not', async () => {
      const where = markFilterSubtreeProvenance({ effort: { $gt: { $field: 'estimate' } } }, 'author');
      expect((await d.find('task', { where }, { tenantId: 'T' })).map((r) => r.title)).toEqual(['a']);
      expect(
        await d.count('task', { where: { effort: { $lt: { $field: 'estimate' } } } }, { tenantId: 'T' }),
      ).toBe(0);
    });

    it('should compile them in every method that takes a filter', async () => {
      const opts = { tenantId: 'T' };
      await d.create('task', { title: 'b', effort: 1, estimate: 4 }, opts);
      await d.create('task', { title: 'c' }, opts);
      const over = { where: { effort: { $gt: { $field: 'estimate' } } } };
      const equal = { where: { effort: { $eq: { $field: 'estimate' } } } };
      expect(await d.distinct('task', 'title', over.where, opts)).toEqual(['a']);
      // The kernel's aggregate shape (index.d.ts types the 4.2.2 one).
      const counted = { ...over, aggregations: [{ function: 'count', alias: 'n' }] };
      expect(await d.aggregate('task', counted, opts)).toEqual([{ n: 1 }]);
      expect(await d.updateMany('task', equal, { title: 'both missing' }, opts)).toBe(1);
      expect(await d.deleteMany('task', { where: { effort: { $ne: { $field: 'estimate' } } } }, opts)).toBe(
        2,
      );
      expect((await d.find('task', {}, opts)).map((r) => r.title)).toEqual(['both missing']);
    });
  },
);
