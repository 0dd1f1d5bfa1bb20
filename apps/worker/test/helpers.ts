import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { inject } from 'vitest';
import { Engine } from '@cohort/engine';
import { BATCH_JOB_NAME, BATCH_QUEUE, RowsBuilder, encodeBatchJobData, encodeRecord, withOpenRunDefaults, type BatchJobData } from '@cohort/protocol';
import { openPostgresStore, type PostgresStore } from '@cohort/store';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/postgres-service.js';

/** A fresh database, a Redis prefix of the test's own and an engine over the database; all gone on dispose. */
export interface TestBackend extends AsyncDisposable {
  db: TestDatabase;
  redisUrl: string;
  prefix: string;
  store: PostgresStore;
  engine: Engine;
  /** A producer on the batch queue (fails fast). */
  queue: Queue;
  /** The batch queue's events (for `job.waitUntilFinished`). */
  events: QueueEvents;
}

/** Opens a {@link TestBackend}. */
export async function testBackend(): Promise<TestBackend> {
  const db = await createTestDatabase(inject('databaseUrl'));
  const redisUrl = inject('redisUrl');
  const prefix = `test-${randomUUID()}`;
  const store = await openPostgresStore(db.url, { max: 4 });
  const engine = new Engine(store);
  const queue = new Queue(BATCH_QUEUE, { prefix, connection: { url: redisUrl, maxRetriesPerRequest: 1 } });
  const events = new QueueEvents(BATCH_QUEUE, { prefix, connection: { url: redisUrl, maxRetriesPerRequest: null } });
  await events.waitUntilReady();
  return {
    db,
    redisUrl,
    prefix,
    store,
    engine,
    queue,
    events,
    [Symbol.asyncDispose]: async () => {
      const steps = [() => events.close(), () => queue.obliterate({ force: true }), () => queue.close(), () => engine.close(), () => db.drop()];
      const errors: unknown[] = [];
      for (const step of steps) await step().catch((err: unknown) => errors.push(err));
      if (errors.length > 0) throw new AggregateError(errors, 'test backend: dispose failed');
    },
  };
}

/** Opens run `runId` of project `p` (entity `local`). */
export async function openTestRun(engine: Engine, runId: string): Promise<{ entity: string; project: string; runId: string; writer: string }> {
  await engine.openRun(withOpenRunDefaults({ project: 'p', runId, rank: -1, worldSize: -1, localRank: -1, startTime: Date.now() / 1000 }));
  return { entity: 'local', project: 'p', runId, writer: '' };
}

/** Encoded rows records `seq`.. with one row each at step seq-1: `{ loss: seq }`. */
export function rowsRecords(firstSeq: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = firstSeq + i;
    const b = new RowsBuilder();
    b.add({ step: seq - 1, timestamp: 1_700_000_000 + seq, data: { loss: seq } }, seq);
    return encodeRecord({ seq, kind: 'rows', rows: b.build() });
  });
}

type TestWriter = { entity: string; project: string; runId: string; writer: string };

/** Adds a job of one batch with the records' data under `jobId`. */
export function addBatch(queue: Queue, writer: TestWriter, firstSeq: number, records: Uint8Array[], jobId: string) {
  return addJob(queue, [{ writer, firstSeq, records }], jobId);
}

/** Adds a job of several batches (as a coordinator gathers them) under `jobId`. */
export function addJob(queue: Queue, batches: Array<{ writer: TestWriter; firstSeq: number; records: Uint8Array[] }>, jobId: string) {
  const data: BatchJobData = encodeBatchJobData(batches.map((b) => ({ ...b, lastSeq: b.firstSeq + b.records.length - 1 })));
  return queue.add(BATCH_JOB_NAME, data, { jobId, attempts: 20, backoff: { type: 'cohort' } });
}
