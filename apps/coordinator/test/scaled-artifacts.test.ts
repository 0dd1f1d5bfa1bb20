import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Api, Artifact, init } from '@cohort/sdk';
import { scaledCluster } from './scaled-helpers.js';

describe('artifacts and console lines in scaled mode', () => {
  let savedUrl: string | undefined;
  let blobDir: string;
  let work: string;
  beforeEach(async () => {
    savedUrl = process.env['COHORT_URL'];
    blobDir = await mkdtemp(join(tmpdir(), 'cohort-shared-blobs-'));
    work = await mkdtemp(join(tmpdir(), 'cohort-scaled-art-'));
  });
  afterEach(async () => {
    if (savedUrl === undefined) delete process.env['COHORT_URL'];
    else process.env['COHORT_URL'] = savedUrl;
    await rm(blobDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('logs through one coordinator and reads through the other (shared blob folder, Postgres), and console records go through the queue', async () => {
    await using cluster = await scaledCluster({ coordinators: 2, workers: 1, coordinator: { blobDir } });
    const [first, second] = cluster.coordinators as [(typeof cluster.coordinators)[0], (typeof cluster.coordinators)[0]];
    process.env['COHORT_URL'] = first.httpUrl;
    const run = await init({ project: 'scaled-art', dir: join(work, 'runs'), settings: { silent: true, flushIntervalMs: 5, systemMetricsSeconds: 0 } });
    await writeFile(join(work, 'w.bin'), 'weights');
    const artifact = new Artifact('weights', 'model');
    artifact.addFile(join(work, 'w.bin'));
    await run.logArtifact(artifact);
    const again = new Artifact('weights', 'model');
    again.addFile(join(work, 'w.bin'));
    await run.logArtifact(again);
    expect(again.version).toBe('v0');
    process.stdout.write('printed in scaled mode\n');
    await run.finish();

    const api = new Api({ baseUrl: second.httpUrl });
    const back = await api.artifact(`scaled-art/weights:latest`);
    expect(back.version).toBe('v0');
    expect(await back.loggedBy()).toMatchObject({ runId: run.id });
    const root = await back.download(join(work, 'dl'));
    await back.verify(root);
    const log = await (await fetch(`${second.httpUrl}/api/v1/runs/${run.entity}/scaled-art/${run.id}/files/output.log`)).text();
    expect(log).toContain('printed in scaled mode\n');
  });
});
