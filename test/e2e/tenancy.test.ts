import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, startCoordinator, type Coordinator } from '@cohort/coordinator';
import { withOpenRunDefaults } from '@cohort/protocol';
import { Artifact, init } from '@cohort/sdk';
import { AssetClient, type WireSaveArtifact } from '../../packages/sdk/src/transport/asset-client.js';
import { teamKey } from '../harness/team-key.js';
import { authMetadata, createCoordinatorClient, getServerInfo, openRun } from '../../packages/sdk/src/transport/grpc-client.js';

/**
 * Tenancy end to end: a coordinator with keys on loopback, team `vision`
 * (alice) and team `nlp` (bob). Every surface is tried with bob's key against
 * vision's data (refused, nothing written) and with alice's (served).
 */
/** What the dashboard's login sends. */
const JSON_BODY = { 'content-type': 'application/json' };

describe('tenancy: one team never reads or writes another team\'s data', () => {
  let coordinator: Coordinator;
  let work: string;
  let keyA: string;
  let keyB: string;
  let revoked: string;
  let runId: string;
  let blobDigest: string;
  const content = 'vision team secret weights\n';

  const makeKey = (user: string, team: string): Promise<string> => teamKey(coordinator, user, team);
  const get = (path: string, key: string | undefined, headers: Record<string, string> = {}) =>
    fetch(`${coordinator.httpUrl}${path}`, { headers: { ...(key !== undefined && { authorization: `Bearer ${key}` }), ...headers } });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cohort-tenancy-'));
    coordinator = await startCoordinator({ auth: 'keys', grpcPort: 0, httpPort: 0, webDir: null });
    keyA = await makeKey('alice', 'vision');
    keyB = await makeKey('bob', 'nlp');
    revoked = await makeKey('carol', 'vision');
    await coordinator.engine.store.identity.revokeKey(revoked.split('_')[1]!);
    process.env['COHORT_URL'] = coordinator.httpUrl;
    const run = await init({
      project: 'p',
      entity: 'vision',
      group: 'g',
      apiKey: keyA,
      dir: join(work, 'runs'),
      settings: { silent: true, systemMetricsSeconds: 0, console: 'off' },
    });
    runId = run.id;
    for (let step = 0; step < 3; step++) run.log({ loss: 1 / (step + 1) });
    const file = join(work, 'weights.txt');
    await writeFile(file, content);
    blobDigest = createHash('sha256').update(content).digest('hex');
    const art = new Artifact('data', 'dataset');
    art.addFile(file);
    await run.logArtifact(art);
    await run.save(file, { basePath: work, policy: 'now' });
    await run.finish();
  }, 60_000);

  afterAll(async () => {
    delete process.env['COHORT_URL'];
    await coordinator?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('put the run of alice\'s SDK into team vision, with its files and artifact', async () => {
    const res = await get(`/api/v1/runs/vision/p/${runId}/files`, keyA);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { files: Array<{ path: string }> }).files.map((f) => f.path)).toContain('weights.txt');
  });

  it('answers 401 UNAUTHENTICATED to a missing, malformed or revoked key, over HTTP and gRPC', async () => {
    for (const key of [undefined, 'nonsense', `ck_aaaaaaaaaaaa_${'A'.repeat(43)}`, revoked]) {
      const res = await get('/api/v1/projects', key);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    }
    const client = createCoordinatorClient(coordinator.grpcAddress);
    try {
      await expect(getServerInfo(client, undefined, 5000)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('cohort keys create') });
      await expect(getServerInfo(client, revoked, 5000)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('revoked') });
      await expect(getServerInfo(client, keyA, 5000)).resolves.toMatchObject({ grpcAddress: coordinator.grpcAddress });
    } finally {
      client.close();
    }
    expect((await get('/api/v1/health', undefined)).status).toBe(200);
  });

  it('refuses every HTTP read of team vision with bob\'s key (404) and serves it with alice\'s', async () => {
    const paths = [
      '/api/v1/runs/vision/p',
      `/api/v1/runs/vision/p/${runId}`,
      `/api/v1/runs/vision/p/${runId}/history`,
      `/api/v1/runs/vision/p/${runId}/series?keys=loss`,
      `/api/v1/runs/vision/p/${runId}/files`,
      `/api/v1/runs/vision/p/${runId}/files/weights.txt`,
      `/api/v1/runs/vision/p/${runId}/artifacts`,
      `/api/v1/runs/vision/p/${runId}/console`,
      '/api/v1/groups/vision/p',
      '/api/v1/groups/vision/p/g',
      '/api/v1/artifacts/vision/p',
      '/api/v1/artifacts/vision/p/data/latest',
      `/api/v1/blobs/${blobDigest}`,
      `/vision/p/runs/${runId}`,
    ];
    for (const path of paths) {
      const refused = await get(path, keyB);
      expect([path, refused.status]).toEqual([path, 404]);
      const body = await refused.text();
      expect(body).not.toContain('secret weights');
      const served = await get(path, keyA);
      expect([path, served.status]).toEqual([path, 200]);
    }
    expect(await (await get(`/api/v1/blobs/${blobDigest}`, keyA)).text()).toBe(content);
  });

  it('lists only the key\'s own entities\' projects', async () => {
    const projects = async (key: string, query = '') => ((await (await get(`/api/v1/projects${query}`, key)).json()) as { projects: Array<{ entity: string }> }).projects;
    expect((await projects(keyA)).map((p) => p.entity)).toEqual(['vision']);
    expect(await projects(keyB)).toEqual([]);
    expect(await projects(keyB, '?entity=vision')).toEqual([]);
  });

  it('refuses the live stream (SSE) of another team\'s run', async () => {
    const refused = await get(`/api/v1/runs/vision/p/${runId}/stream`, keyB);
    expect(refused.status).toBe(404);
    const controller = new AbortController();
    const served = await fetch(`${coordinator.httpUrl}/api/v1/runs/vision/p/${runId}/stream`, { headers: { authorization: `Bearer ${keyA}` }, signal: controller.signal });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
  });

  it('answers PERMISSION_DENIED for alert deliveries, which span every team', async () => {
    const res = await get('/api/v1/alerts/deliveries', keyA);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PERMISSION_DENIED');
  });

  it('refuses OpenRun and a record stream into team vision with bob\'s key, and writes nothing', async () => {
    const client = createCoordinatorClient(coordinator.grpcAddress);
    try {
      const request = withOpenRunDefaults({ entity: 'vision', project: 'p', runId: 'intruder', rank: -1, worldSize: -1, localRank: -1, startTime: Date.now() / 1000 });
      await expect(openRun(client, request, keyB, 5000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await coordinator.engine.getRun({ entity: 'vision', project: 'p', runId: 'intruder' })).toBeUndefined();
      // A run opened without an entity goes to the key's own entity.
      const own = await openRun(client, withOpenRunDefaults({ project: 'p', runId: 'mine', rank: -1, worldSize: -1, localRank: -1, startTime: Date.now() / 1000 }), keyB, 5000);
      expect(own.entity).toBe('bob');

      const before = await coordinator.engine.getRun({ entity: 'vision', project: 'p', runId });
      const call = client.StreamRecords(authMetadata(keyB));
      const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
      call.on('error', () => undefined);
      call.write({ hello: { entity: 'vision', project: 'p', runId, label: '' } });
      expect((await status).code).toBe(grpc.status.NOT_FOUND);
      expect((await coordinator.engine.getRun({ entity: 'vision', project: 'p', runId }))?.appliedSeq).toBe(before?.appliedSeq);

      const anonymous = client.StreamRecords(authMetadata(undefined));
      const anonymousStatus = new Promise<grpc.StatusObject>((resolve) => anonymous.on('status', resolve));
      anonymous.on('error', () => undefined);
      anonymous.write({ hello: { entity: 'vision', project: 'p', runId, label: '' } });
      expect((await anonymousStatus).code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
  });

  it('refuses artifact reads, writes and blob downloads of team vision with bob\'s key', async () => {
    const b = new AssetClient(coordinator.grpcAddress, { apiKey: keyB });
    const a = new AssetClient(coordinator.grpcAddress, { apiKey: keyA });
    try {
      await expect(b.getArtifact('vision', 'p', 'data:latest')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(a.getArtifact('vision', 'p', 'data:latest')).resolves.toMatchObject({ name: 'data' });
      const upsert: WireSaveArtifact = {
        run: { entity: 'vision', project: 'p', runId },
        name: 'planted', type: 'dataset', aliases: [], tags: [], description: '', metadataJson: '',
        entries: [], mode: 'upsert', distributedId: 'x', writer: 'bob', expectedWriters: 0, waitMs: 0,
      };
      await expect(b.saveArtifact(upsert)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(b.saveArtifact({ ...upsert, mode: 'finish' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(b.useArtifact({ entity: '', project: 'p', runId: 'mine' }, 'vision/p/data:latest', '', '')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await coordinator.engine.store.artifacts.list('vision', 'p')).toEqual([expect.objectContaining({ name: 'data' })]);

      // The blob: missing to bob (dedup does not say vision has it), not downloadable, not claimable by digest.
      expect(await b.missing([blobDigest])).toEqual([blobDigest]);
      expect(await a.missing([blobDigest])).toEqual([]);
      await expect(b.downloadTo(blobDigest, join(work, 'stolen'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const claim: WireSaveArtifact = { ...upsert, run: { entity: '', project: 'p', runId: 'mine' }, name: 'claim', mode: 'log', entries: [{ path: 'w.txt', digest: blobDigest, size: content.length, ref: '' }] };
      await expect(b.saveArtifact(claim)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
      await expect(b.putRunFiles({ entity: '', project: 'p', runId: 'mine' }, claim.entries)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });

      // Once bob uploads the bytes himself (proving he has them), the upload reads as new and the blob is his too.
      const file = join(work, 'bob-copy.txt');
      await writeFile(file, content);
      expect(await b.uploadFile(file, blobDigest, content.length)).toEqual({ stored: true });
      expect(await b.missing([blobDigest])).toEqual([]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('does not make a digest a capability: a reference entry naming vision\'s blob grants bob nothing', async () => {
    const a = new AssetClient(coordinator.grpcAddress, { apiKey: keyA });
    const b = new AssetClient(coordinator.grpcAddress, { apiKey: keyB });
    const client = createCoordinatorClient(coordinator.grpcAddress);
    try {
      const secret = 'vision checkpoint, uploaded only by alice\n';
      const digest = createHash('sha256').update(secret).digest('hex');
      const file = join(work, 'alice-only.txt');
      await writeFile(file, secret);
      expect(await a.uploadFile(file, digest, secret.length)).toEqual({ stored: true });
      await openRun(client, withOpenRunDefaults({ project: 'p', runId: 'ref-trick', rank: -1, worldSize: -1, localRank: -1, startTime: Date.now() / 1000 }), keyB, 5000);

      // A reference entry carries an outside URI and its checksum; saving one is fine, but its digest proves nothing.
      const save: WireSaveArtifact = {
        run: { entity: '', project: 'p', runId: 'ref-trick' },
        name: 'refs', type: 'dataset', aliases: [], tags: [], description: '', metadataJson: '',
        entries: [{ path: 'w.txt', digest, size: secret.length, ref: 's3://bucket/w.txt' }],
        mode: 'log', distributedId: '', writer: '', expectedWriters: 0, waitMs: 0,
      };
      await b.saveArtifact(save);
      expect(await b.missing([digest])).toEqual([digest]);
      await expect(b.downloadTo(digest, join(work, 'stolen-by-ref'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const res = await get(`/api/v1/blobs/${digest}`, keyB);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('vision checkpoint');
      // Nor can the reference be turned into a claim on the uploaded content afterwards.
      const claim: WireSaveArtifact = { ...save, name: 'claim-after-ref', entries: [{ path: 'w.txt', digest, size: secret.length, ref: '' }] };
      await expect(b.saveArtifact(claim)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
      expect((await get(`/api/v1/blobs/${digest}`, keyA)).status).toBe(200);
    } finally {
      client.close();
      a.close();
      b.close();
    }
  });

  it('logs in the dashboard with a key: an HttpOnly SameSite=Strict cookie that sees only the key\'s entities', async () => {
    const bad = await fetch(`${coordinator.httpUrl}/api/v1/session`, { method: 'POST', headers: JSON_BODY, body: JSON.stringify({ apiKey: 'nope' }) });
    expect(bad.status).toBe(401);
    const res = await fetch(`${coordinator.httpUrl}/api/v1/session`, { method: 'POST', headers: JSON_BODY, body: JSON.stringify({ apiKey: keyA }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: 'alice', entities: ['alice', 'vision'] });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^cohort_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    const session = cookie.split(';')[0]!;
    expect((await get('/api/v1/runs/vision/p', undefined, { cookie: session })).status).toBe(200);
    expect((await get('/api/v1/runs/nlp/p', undefined, { cookie: session })).status).toBe(404);
    expect(await (await get('/api/v1/session', undefined, { cookie: session })).json()).toEqual({ auth: 'keys', user: 'alice', entities: ['alice', 'vision'] });
    const forged = session.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await get('/api/v1/runs/vision/p', undefined, { cookie: forged })).status).toBe(401);
    const out = await fetch(`${coordinator.httpUrl}/api/v1/session/logout`, { method: 'POST' });
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
  });

  it('refuses a cross-site login (login CSRF): a form post, or JSON from another origin, sets no cookie', async () => {
    const url = `${coordinator.httpUrl}/api/v1/session`;
    const host = new URL(coordinator.httpUrl).host;
    const attempts: Array<[string, Record<string, string>, string]> = [
      // What a cross-site <form enctype="text/plain"> sends: no preflight, the body still parses as JSON.
      ['text/plain form', { 'content-type': 'text/plain', origin: 'http://evil.test' }, `{"apiKey":"${keyB}","x":"="}`],
      ['urlencoded form', { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.test' }, `{"apiKey":"${keyB}"}`],
      ['JSON from another origin', { 'content-type': 'application/json', origin: 'http://evil.test' }, JSON.stringify({ apiKey: keyB })],
      ['JSON from an opaque origin', { 'content-type': 'application/json', origin: 'null' }, JSON.stringify({ apiKey: keyB })],
    ];
    for (const [what, headers, body] of attempts) {
      const res = await fetch(url, { method: 'POST', headers, body });
      expect([what, res.status, res.headers.get('set-cookie')]).toEqual([what, 403, null]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PERMISSION_DENIED');
    }
    const same = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', origin: `http://${host}` }, body: JSON.stringify({ apiKey: keyB }) });
    expect(same.status).toBe(200);
    expect(same.headers.get('set-cookie')).toMatch(/^cohort_session=/);
  });
});

describe('auth defaults and limits', () => {
  it('serves /metrics behind a key when keys are on, or on its own port when the operator gives one', async () => {
    await using c = await startCoordinator({ auth: 'keys', grpcPort: 0, httpPort: 0, webDir: null });
    const identity = c.engine.store.identity;
    await identity.ensureUser('ops');
    const k = generateApiKey();
    await identity.createKey({ id: k.id, user: 'ops', label: 'metrics', hash: k.hash, createdAt: Date.now() / 1000 });
    const anonymous = await fetch(`${c.httpUrl}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('cohort_record_streams');
    const keyed = await fetch(`${c.httpUrl}/metrics`, { headers: { authorization: `Bearer ${k.key}` } });
    expect(keyed.status).toBe(200);
    expect(await keyed.text()).toContain('cohort_record_streams');
    expect((await fetch(`${c.httpUrl}/healthz`)).status).toBe(200);

    await using own = await startCoordinator({ auth: 'keys', grpcPort: 0, httpPort: 0, webDir: null, metricsPort: 0 });
    expect(own.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${own.httpUrl}/metrics`)).status).toBe(404);
    const scraped = await fetch(`${own.metricsUrl!}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('cohort_record_streams');
  });

  it('refuses to start without keys on a non-loopback bind, and says why and how', async () => {
    await expect(startCoordinator({ grpcHost: '0.0.0.0', httpHost: '127.0.0.1', grpcPort: 0, httpPort: 0, auth: 'none', webDir: null })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringMatching(/0\.0\.0\.0.*--auth keys.*cohort keys create/),
    });
  });

  it('turns keys on by default on a non-loopback bind', async () => {
    await using c = await startCoordinator({ grpcHost: '0.0.0.0', httpHost: '0.0.0.0', grpcPort: 0, httpPort: 0, webDir: null, advertiseHost: '127.0.0.1' });
    expect((await fetch(`${c.httpUrl}/api/v1/projects`)).status).toBe(401);
  });

  it('answers 429 with Retry-After, and RESOURCE_EXHAUSTED over gRPC, naming the setting, per key', async () => {
    await using c = await startCoordinator({ auth: 'keys', grpcPort: 0, httpPort: 0, webDir: null, rateLimit: { requestsPerSecond: 0.001, burst: 2 } });
    const keys: string[] = [];
    for (const user of ['dora', 'emil']) {
      await c.engine.store.identity.ensureUser(user);
      const k = generateApiKey();
      await c.engine.store.identity.createKey({ id: k.id, user, label: '', hash: k.hash, createdAt: 1 });
      keys.push(k.key);
    }
    const hit = () => fetch(`${c.httpUrl}/api/v1/projects`, { headers: { authorization: `Bearer ${keys[0]!}` } });
    expect((await hit()).status).toBe(200);
    expect((await hit()).status).toBe(200);
    const limited = await hit();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toEqual({ error: { code: 'RESOURCE_EXHAUSTED', message: expect.stringContaining('rateLimit.requestsPerSecond = 0.001') } });
    const client = createCoordinatorClient(c.grpcAddress);
    try {
      // The refusal says when to come back (a trailer), so the SDK's retries know it is temporary.
      await expect(getServerInfo(client, keys[0], 5000)).rejects.toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        message: expect.stringContaining('rateLimit'),
        retryAfterMs: expect.any(Number),
      });
      await expect(getServerInfo(client, keys[1], 5000)).resolves.toMatchObject({ grpcAddress: c.grpcAddress });
    } finally {
      client.close();
    }
  });

  it('limits failed authentications per address, so one address cannot flood the store with guessed keys', async () => {
    await using c = await startCoordinator({ auth: 'keys', grpcPort: 0, httpPort: 0, webDir: null, rateLimit: { requestsPerSecond: 0.001, burst: 3 } });
    const guess = (n: number) => fetch(`${c.httpUrl}/api/v1/projects`, { headers: { authorization: `Bearer ck_guess${n}_${'x'.repeat(43)}` } });
    for (let n = 0; n < 3; n++) expect((await guess(n)).status).toBe(401);
    const limited = await guess(3);
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { message: string } }).error.message).toContain('rateLimit.requestsPerSecond');
    const login = await fetch(`${c.httpUrl}/api/v1/session`, { method: 'POST', headers: JSON_BODY, body: JSON.stringify({ apiKey: `ck_guess9_${'x'.repeat(43)}` }) });
    expect(login.status).toBe(429);
  });
});
