import { describe, expect, it } from 'vitest';
import { encodeRecord, RowsBuilder, withOpenRunDefaults } from '@cohort/protocol';
import { connect, stream } from '../../coordinator/test/helpers.js';
import { spawnServer, tempDir } from './helpers.js';

function rows(seq: number, first: number, count: number): Buffer {
  const b = new RowsBuilder();
  for (let s = first; s < first + count; s++) b.add({ step: s, timestamp: 1_700_000_000 + s, data: { loss: 1 / (s + 1) } }, s);
  return Buffer.from(encodeRecord({ seq, kind: 'rows', rows: b.build() }));
}

describe('cohort server (a real process)', () => {
  it('prints one ready line and exits 0 on SIGTERM', async () => {
    await using dir = await tempDir();
    await using server = await spawnServer(dir.path);
    expect(server.readyLine).toMatch(/^cohort server ready grpc=127\.0\.0\.1:\d+ http=http:\/\/127\.0\.0\.1:\d+ data=\/\S+$/);
    expect(server.data).toBe(dir.path);
    const health = await fetch(`${server.http}/api/v1/health`);
    expect(await health.json()).toEqual({ ok: true });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stdout().trim().split('\n')).toEqual([server.readyLine]);
  });

  it('keeps committed data across kill -9 and a restart on the same data dir', async () => {
    await using dir = await tempDir();
    {
      await using server = await spawnServer(dir.path);
      using client = connect(server.grpc);
      await new Promise((resolve, reject) =>
        client.OpenRun(withOpenRunDefaults({ project: 'p', runId: 'r1', rank: -1, worldSize: -1, localRank: -1 }), (err, res) => (err ? reject(err) : resolve(res))),
      );
      const s = stream(client, { project: 'p', runId: 'r1' });
      s.write({ batch: { records: [rows(1, 0, 50), rows(2, 50, 50)] } });
      await s.ackAtLeast(2);
      server.child.kill('SIGKILL');
      expect(await server.exited).toBe('SIGKILL');
      s.cancel();
    }
    await using again = await spawnServer(dir.path);
    const run = await (await fetch(`${again.http}/api/v1/runs/local/p/r1`)).json();
    expect(run).toMatchObject({ id: 'r1', appliedSeq: 2, lastStep: 99 });
    const history = await (await fetch(`${again.http}/api/v1/runs/local/p/r1/history/scan?pageSize=1000`)).json();
    expect(history.rows).toHaveLength(100);
  });
});
