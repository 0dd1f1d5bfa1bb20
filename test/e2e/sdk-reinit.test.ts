import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCoordinator } from '@cohort/coordinator';
import * as sdk from '@cohort/sdk';
import { Api, init } from '@cohort/sdk';

const quiet = { console: 'off', systemMetricsSeconds: 0, handleSigterm: false } as const;

describe('init({ reinit }) against a real coordinator', () => {
  it('runs independent runs side by side with "create_new", returns the active one with "return_previous", finishes it by default', async () => {
    await using coordinator = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    const dir = await mkdtemp(join(tmpdir(), 'cohort-reinit-'));
    const api = new Api({ baseUrl: coordinator.httpUrl });
    const base = { project: 'reinit', dir, settings: quiet };
    const url = process.env['COHORT_URL'];
    process.env['COHORT_URL'] = coordinator.httpUrl;
    try {
      const active = await init({ ...base, id: 'active1' });
      const side = await Promise.all([0, 1, 2].map((n) => init({ ...base, id: `side${n}`, reinit: 'create_new' })));
      expect(sdk.run).toBe(active);
      expect(await init({ ...base, id: 'ignored', reinit: 'return_previous' })).toBe(active);
      for (let step = 0; step < 50; step++) {
        sdk.log({ loss: 1 / (step + 1) });
        side.forEach((r, n) => r.log({ acc: n + step / 100 }));
      }
      await Promise.all(side.map((r) => r.finish()));
      expect(sdk.run).toBe(active);
      for (let n = 0; n < 3; n++) {
        const read = await api.run(`local/reinit/side${n}`);
        expect(read.state).toBe('finished');
        const all = [];
        for await (const row of read.scanHistory()) all.push(row);
        expect(all.map((r) => r['acc'])).toEqual(Array.from({ length: 50 }, (_, step) => n + step / 100));
      }
      const next = await init({ ...base, id: 'next1' });
      expect(sdk.run).toBe(next);
      expect((await api.run('local/reinit/active1')).state).toBe('finished');
      expect((await api.run('local/reinit/active1')).summary['loss']).toBe(1 / 50);
      await next.finish();
    } finally {
      await sdk.finish();
      if (url === undefined) delete process.env['COHORT_URL'];
      else process.env['COHORT_URL'] = url;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the option and its choices when reinit is not one of them', async () => {
    await expect(init({ project: 'reinit', mode: 'disabled', reinit: 'sometimes' as never })).rejects.toThrow(/reinit/);
  });
});
