import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RowsBuilder, type RecordMessage } from '@cohort/protocol';
import { openSqliteStore } from '@cohort/store';
import { Engine } from './engine.js';
import { RUN, RecordLog, openRequest } from './testing/fixtures.js';

/**
 * The engine's ingest rate: batches of 1000 rows x 20 numeric keys applied to
 * a SQLite file, with a glob metric aggregating every key. Run it with
 * `COHORT_BENCH=1 npx vitest run packages/engine/src/ingest-rate.test.ts`.
 */
describe.runIf(process.env['COHORT_BENCH'] === '1')('engine ingest rate', () => {
  it('applies 1000-row x 20-key batches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-'));
    try {
      await using engine = new Engine(openSqliteStore(join(dir, 'cohort.db')));
      await engine.openRun(openRequest());
      const log = new RecordLog();
      await engine.applyBatch(RUN, [log.metric('train/*', { summary: 'min,max,mean' })]);
      const keys = Array.from({ length: 20 }, (_, k) => `train/metric_${k}`);
      const batches: RecordMessage[][] = [];
      let step = 0;
      for (let b = 0; b < 200; b++) {
        const builder = new RowsBuilder();
        for (let i = 0; i < 1000; i++, step++) {
          const data: Record<string, number> = {};
          for (let k = 0; k < keys.length; k++) data[keys[k]!] = Math.sin(step + k);
          builder.add({ step, timestamp: 1.7e9 + step / 100, data }, step / 100);
        }
        batches.push([{ seq: ++log.seq, kind: 'rows', rows: builder.build() }]);
      }
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (const batch of batches) await engine.applyBatch(RUN, batch);
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const points = 200 * 1000 * 20;
      process.stdout.write(
        `engine ingest: ${(points / wall / 1e6).toFixed(2)}M points/s wall, ${(points / ((cpu.user + cpu.system) / 1e6) / 1e6).toFixed(2)}M points/cpu-s\n`,
      );
      expect((await engine.getRun(RUN))?.lastStep).toBe(step - 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
