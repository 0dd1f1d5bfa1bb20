import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, init } from '@cohort/sdk';
import { spawnCohort, type CohortProcess } from '../faults/fault-helpers.js';

// The server runs in a process of its own: while this test's event loop is
// blocked, it closes the idle keep-alive socket (its keepAliveTimeout is 5 s)
// and the pooled connection the Api would reuse is dead.
describe('Api after a blocked event loop', () => {
  let dataDir: string;
  let runsDir: string;
  let server: CohortProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cohort-keepalive-data-'));
    runsDir = mkdtempSync(join(tmpdir(), 'cohort-keepalive-runs-'));
    server = await spawnCohort('server', ['--grpc-port', '0', '--http-port', '0', '--data', dataDir]);
    process.env['COHORT_URL'] = server.httpUrl;
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('retries a GET once, transparently, when the server closed the pooled socket meanwhile', async () => {
    const run = await init({ project: 'keepalive', dir: runsDir });
    run.log({ x: 1 });
    await run.finish();
    const api = new Api({ baseUrl: server.httpUrl });
    expect((await api.runs('keepalive')).map((r) => r.id)).toEqual([run.id]);

    // A long synchronous step: the event loop cannot see the server's FIN.
    spawnSync('sleep', ['6']);

    expect((await api.runs('keepalive')).map((r) => r.id)).toEqual([run.id]);
    expect((await api.run(`keepalive/${run.id}`)).summary).toMatchObject({ x: 1 });
  }, 30_000);
});
