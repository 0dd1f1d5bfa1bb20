import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { HOUSEKEEPING_QUEUE } from '@cohort/protocol';
import { Api, init } from '@cohort/sdk';
import { PostgresStore } from '@cohort/store';
import { tempDir } from './helpers.js';
import { scaledCluster, until } from './scaled-helpers.js';

describe('history compaction in scaled mode', () => {
  it('merges the small chunks that small batches leave, once across coordinators, and the run reads back the same', async () => {
    await using cluster = await scaledCluster({
      coordinators: 2,
      workers: 1,
      coordinator: { compactionIntervalMs: 200, sweepIntervalMs: 0, groupCheckIntervalMs: 0, blobGcIntervalMs: 0 },
    });
    await using dir = await tempDir();
    const [a, b] = cluster.coordinators as [(typeof cluster.coordinators)[0], (typeof cluster.coordinators)[0]];
    const saved = process.env['COHORT_URL'];
    process.env['COHORT_URL'] = a.httpUrl;
    try {
      const run = await init({ project: 'p', dir: dir.path, settings: { silent: true, flushIntervalMs: 5 } });
      for (let i = 0; i < 400; i++) {
        run.log({ loss: 1 / (i + 1), acc: i / 400 });
        // Small batches: a flush every few steps.
        if (i % 2 === 1) await new Promise((r) => setTimeout(r, 10));
      }
      await run.finish();
      const store = a.engine.store;
      if (!(store instanceof PostgresStore)) throw new Error('expected a scaled coordinator over PostgreSQL');
      const perKey = async () =>
        (await store.pool.query<{ chunks: number }>('SELECT count(*)::int AS chunks FROM history_chunks GROUP BY key_id ORDER BY key_id')).rows.map((r) => r.chunks);
      const counter = async (op: string) => {
        const texts = await Promise.all([a.metrics(), b.metrics()]);
        return texts.reduce((n, text) => n + Number(new RegExp(`cohort_history_chunks_compacted_total\\{op="${op}"\\} (\\d+)`).exec(text)?.[1] ?? 0), 0);
      };
      // A key is compacted once it holds 8 small chunks: in the end none holds more than 7 past its merged ones.
      await until(async () => (await counter('removed')) > 0 && (await perKey()).every((n) => n < 8 + 2), 10_000, 'the keys to be compacted');
      const keys = (await perKey()).length;
      // Up to 200 batches of a few steps: most of each key's chunks were merged away, by one coordinator or the other.
      expect(await counter('removed')).toBeGreaterThan(20 * keys);
      expect(await counter('written')).toBeLessThan((await counter('removed')) / 4);
      const back = await new Api({ baseUrl: b.httpUrl }).run(`${run.entity}/p/${run.id}`);
      const rows = [];
      for await (const row of back.scanHistory({ pageSize: 100 })) rows.push(row);
      expect(rows.map((r) => r['_step'])).toEqual(Array.from({ length: 400 }, (_, i) => i));
      expect(rows.map((r) => r['loss'])).toEqual(Array.from({ length: 400 }, (_, i) => 1 / (i + 1)));
      await using housekeeping = Object.assign(new Queue(HOUSEKEEPING_QUEUE, { prefix: cluster.prefix, connection: { url: cluster.redisUrl, maxRetriesPerRequest: 1 } }), {
        [Symbol.asyncDispose](this: Queue) {
          return this.close();
        },
      });
      expect((await housekeeping.getJobSchedulers()).map((s) => s.key)).toEqual(['history-compaction']);
    } finally {
      if (saved === undefined) delete process.env['COHORT_URL'];
      else process.env['COHORT_URL'] = saved;
    }
  });
});
