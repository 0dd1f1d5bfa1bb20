import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { withOpenRunDefaults } from '@cohort/protocol';
import { teamKey } from '../harness/team-key.js';
import { authMetadata, createCoordinatorClient, openRun } from '../../packages/sdk/src/transport/grpc-client.js';

/**
 * Stream slots per key (docs/SECURITY.md, "Streams"): one key holding many
 * live views or record streams, or streams that never say hello, does not
 * shut another team out.
 */
describe('stream slots: one key cannot take every stream', () => {
  let coordinator: Coordinator;
  let keyA: string;
  let keyB: string;
  const gone: AbortController[] = [];

  const makeKey = (user: string, team: string): Promise<string> => teamKey(coordinator, user, team);
  const open = (entity: string, key: string) =>
    openRun(createCoordinatorClient(coordinator.grpcAddress), withOpenRunDefaults({ entity, project: 'p', runId: 'live', rank: -1, worldSize: -1, localRank: -1, startTime: Date.now() / 1000 }), key, 5000);
  const sse = async (entity: string, key: string) => {
    const ac = new AbortController();
    gone.push(ac);
    const res = await fetch(`${coordinator.httpUrl}/api/v1/runs/${entity}/p/live/stream`, { headers: { authorization: `Bearer ${key}` }, signal: ac.signal });
    return { status: res.status, text: res.status === 200 ? '' : await res.text() };
  };

  beforeAll(async () => {
    coordinator = await startCoordinator({ auth: 'keys', grpcPort: 0, httpPort: 0, webDir: null, maxStreamsPerKey: 4, helloTimeoutMs: 800, rateLimit: { requestsPerSecond: 1000, burst: 1000 } });
    keyA = await makeKey('alice', 'vision');
    keyB = await makeKey('bob', 'nlp');
    await open('vision', keyA);
    await open('nlp', keyB);
  });

  afterAll(async () => {
    for (const ac of gone) ac.abort();
    await coordinator?.close();
  });

  it('gives one key at most 32 live views (429 naming the bound) and still serves another team', async () => {
    for (let i = 0; i < 32; i++) expect((await sse('nlp', keyB)).status).toBe(200);
    const refused = await sse('nlp', keyB);
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('live streams: one API key (or address, without keys) may hold at most 32 at once');
    expect((await sse('vision', keyA)).status).toBe(200);
  });

  it('gives one key at most its share of record streams, ends streams that never say hello, and still serves another team', async () => {
    const client = createCoordinatorClient(coordinator.grpcAddress);
    try {
      const silent = Array.from({ length: 4 }, () => {
        const call = client.StreamRecords(authMetadata(keyB));
        call.on('error', () => undefined);
        return { call, status: new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve)) };
      });
      // Let the four be taken before the fifth asks.
      await new Promise((r) => setTimeout(r, 200));
      const fifth = client.StreamRecords(authMetadata(keyB));
      fifth.on('error', () => undefined);
      const fifthStatus = await new Promise<grpc.StatusObject>((resolve) => fifth.on('status', resolve));
      expect(fifthStatus.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(fifthStatus.details).toContain('record streams: one API key (or address, without keys) may hold at most 4 at once');

      // Alice's training connects and gets its ack.
      const mine = client.StreamRecords(authMetadata(keyA));
      mine.on('error', () => undefined);
      const ack = new Promise<unknown>((resolve) => mine.on('data', resolve));
      mine.write({ hello: { entity: 'vision', project: 'p', runId: 'live', label: '' } });
      expect(await ack).toMatchObject({ ack: { committedSeq: '0' } });
      mine.end();

      // The silent ones end at the hello deadline, and free their slots.
      for (const s of silent) {
        const st = await s.status;
        expect(st.code).toBe(grpc.status.DEADLINE_EXCEEDED);
        expect(st.details).toContain('no hello within 800 ms');
      }
      const again = client.StreamRecords(authMetadata(keyB));
      again.on('error', () => undefined);
      const againAck = new Promise<unknown>((resolve) => again.on('data', resolve));
      again.write({ hello: { entity: 'nlp', project: 'p', runId: 'live', label: '' } });
      expect(await againAck).toMatchObject({ ack: { committedSeq: '0' } });
      again.end();
    } finally {
      client.close();
    }
  });
});
