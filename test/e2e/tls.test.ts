import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { init } from '@cohort/sdk';
import { createCoordinatorClient, getServerInfo } from '../../packages/sdk/src/transport/grpc-client.js';

const run = promisify(execFile);

/** TLS for gRPC and HTTP from a self-signed certificate made here with openssl. */
describe('TLS', () => {
  let dir: string;
  let coordinator: Coordinator;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-tls-'));
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    coordinator = await startCoordinator({
      grpcPort: 0, httpPort: 0, webDir: null,
      tls: { cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) },
    });
  });
  afterAll(async () => {
    await coordinator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves https and logs an SDK run over gRPC with TLS, trusting the given CA', async () => {
    expect(coordinator.httpUrl).toMatch(/^https:\/\//);
    process.env['COHORT_URL'] = `grpcs://${coordinator.grpcAddress}`;
    try {
      const live = await init({ project: 'tls', tlsCa: join(dir, 'cert.pem'), dir: join(dir, 'runs'), settings: { silent: true, systemMetricsSeconds: 0, console: 'off' } });
      live.log({ acc: 0.5 });
      live.log({ acc: 0.75 });
      await live.finish();
      const view = await coordinator.engine.getRun({ entity: 'local', project: 'tls', runId: live.id });
      expect(view?.summary).toMatchObject({ acc: 0.75 });
    } finally {
      delete process.env['COHORT_URL'];
    }
    const body = await new Promise<string>((resolve, reject) => {
      httpsGet(`${coordinator.httpUrl}/api/v1/projects`, { ca: [readFileSync(join(dir, 'cert.pem'))] }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(body)).toEqual({ projects: [expect.objectContaining({ project: 'tls' })] });
  });

  it('reads it with the Api over https (NODE_EXTRA_CA_CERTS names the CA)', async () => {
    const script = `import { Api } from '@cohort/sdk'; const api = new Api({ baseUrl: process.env.URL }); const runs = await api.runs('local/tls'); console.log(JSON.stringify(runs.map((r) => r.summary.acc)));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, URL: coordinator.httpUrl, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') } });
    expect(JSON.parse(stdout)).toEqual([0.75]);
  });

  it('fails a plaintext client clearly', async () => {
    const client = createCoordinatorClient(coordinator.grpcAddress);
    try {
      await expect(getServerInfo(client, undefined, 3000)).rejects.toMatchObject({ code: expect.stringMatching(/UNAVAILABLE|DEADLINE_EXCEEDED|INTERNAL/) });
    } finally {
      client.close();
    }
    await expect(fetch(coordinator.httpUrl.replace('https:', 'http:') + '/api/v1/health')).rejects.toThrow();
  });
});
