import { describe, expect, it } from 'vitest';
import { RUN, RecordLog, makeEngine, openRequest } from './testing/fixtures.js';

/** Engine.listRuns: pages with a cursor, big fields only when asked for, exact filters (docs/http-api.md, "Runs"). */
describe('Engine.listRuns', () => {
  it('pages newest first with a cursor, and includes config and summary only when asked', async () => {
    await using engine = makeEngine();
    for (let i = 0; i < 25; i++) {
      await engine.openRun(openRequest({ runId: `r${String(i).padStart(2, '0')}`, configJson: JSON.stringify({ i, opt: { lr: i % 2 } }) }));
      await engine.applyBatch({ ...RUN, runId: `r${String(i).padStart(2, '0')}` }, [new RecordLog().log(0, { acc: i })]);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await engine.listRuns('local', 'proj', {}, { limit: 10, ...(cursor !== undefined && { cursor }) });
      for (const r of page.runs) {
        expect(r).not.toHaveProperty('config');
        expect(r).not.toHaveProperty('summary');
      }
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `r${String(24 - i).padStart(2, '0')}`));

    const full = await engine.listRuns('local', 'proj', {}, { limit: 2, fields: ['summary'] });
    expect(full.runs.map((r) => [r.id, r.summary?.['acc'], r.config])).toEqual([['r24', 24, undefined], ['r23', 23, undefined]]);
    // An object value is checked exactly by the engine (the store cannot in SQL), page after page.
    const odd = await engine.listRuns('local', 'proj', { config: { opt: { lr: 1 } } }, { limit: 5, fields: ['config'] });
    expect(odd.runs.map((r) => r.config?.['i'])).toEqual([23, 21, 19, 17, 15]);
    const rest = await engine.listRuns('local', 'proj', { config: { opt: { lr: 1 } } }, { limit: 100, cursor: odd.nextCursor! });
    expect(rest.runs).toHaveLength(7);
    expect(rest.nextCursor).toBeUndefined();
  });

  it('refuses a bad cursor, limit or field, naming it', async () => {
    await using engine = makeEngine();
    await expect(engine.listRuns('local', 'proj', {}, { cursor: 'bogus' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^cursor: /) });
    await expect(engine.listRuns('local', 'proj', {}, { limit: 1001 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^limit: .*1000/) });
    await expect(engine.listRuns('local', 'proj', {}, { fields: ['notes' as 'config'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^fields: /) });
  });
});
