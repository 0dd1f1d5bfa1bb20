import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOpenRunRequest, validateEntity, validateProject, validateRunId } from '@cohort/protocol';
import { startFuzzServer, type FuzzServer } from './fuzz-server.js';
import { badUtf8, hostileJson, hostileNumber, hostileString, hostileUint64, unknownDigest } from './hostile.js';
import { callRaw, loadMethods, rawField, recordType, type RawMethod, type RawOutcome } from './raw-grpc.js';

/**
 * The gRPC surface fed random bytes and hostile protobuf (issue 7): every
 * call ends within its deadline, never INTERNAL or UNKNOWN, the coordinator
 * still serves afterwards, and the store (every table, every blob) is
 * byte-identical: hostile input writes nothing. Each property is bounded by
 * time and runs; fast-check prints its seed and the shrunk input on failure.
 */

/** A call that takes this long hung (generous: CI machines are shared). */
const DEADLINE_MS = 15_000;
const TIME_LIMIT_MS = 10_000;
/** A property runs for its time limit, plus the call in flight then. */
const TEST_TIMEOUT_MS = TIME_LIMIT_MS + 2 * DEADLINE_MS;
/** Statuses a server must never answer to bad input: they say it broke, not that the input was bad. */
const BROKEN = new Set([grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DATA_LOSS, grpc.status.DEADLINE_EXCEEDED]);

const methods = loadMethods();
const method = (path: string): RawMethod => methods.get(path)!;
const Record = recordType();
const encodeRecord = (record: object): Buffer => Buffer.from(Record.encode(Record.fromObject(record)).finish());

let fuzz: FuzzServer;
let client: grpc.Client;
let before: string;
/** The applied seq of the seeded run the structured frames aim at. */
let appliedSeq: number;

beforeAll(async () => {
  fuzz = await startFuzzServer();
  client = new grpc.Client(fuzz.coordinator.grpcAddress, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  appliedSeq = await fuzz.coordinator.engine.appliedSeq({ entity: 'local', project: 'fuzz', runId: 'seed-a' });
  before = await fuzz.snapshot();
}, 60_000);

afterAll(async () => {
  client?.close();
  await fuzz?.[Symbol.asyncDispose]();
});

/** Fails on a status that says the server broke; returns the outcome for more checks. */
async function expectSane(m: RawMethod, messages: readonly Buffer[]): Promise<RawOutcome> {
  const outcome = await callRaw(client, m, messages, DEADLINE_MS);
  if (BROKEN.has(outcome.code)) {
    throw new Error(`${m.path} answered ${grpc.status[outcome.code]} (${outcome.details}) to ${messages.length} message(s): ${messages.map((b) => b.toString('hex').slice(0, 200)).join(' | ')}`);
  }
  return outcome;
}

/**
 * Whether random bytes happen to decode to an `OpenRun` that creates a run
 * (a valid request, as a client could send): such input is not hostile, so
 * the hostile-only phase leaves it out.
 */
function opensARun(m: RawMethod, messages: readonly Buffer[]): boolean {
  if (!m.path.endsWith('/OpenRun')) return false;
  try {
    const request = parseOpenRunRequest(m.decode(messages[0] ?? Buffer.alloc(0)));
    validateEntity(request.entity === '' ? 'local' : request.entity);
    validateProject(request.project);
    if (request.runId !== '') validateRunId(request.runId);
    return true;
  } catch {
    return false;
  }
}

async function expectStillServing(): Promise<void> {
  const info = await callRaw(client, method('/cohort.v1.Coordinator/GetServerInfo'), [], DEADLINE_MS);
  expect(info.code).toBe(grpc.status.OK);
  const health = await fetch(`${fuzz.coordinator.httpUrl}/healthz`);
  expect(health.status).toBe(200);
  // Every record stream the fuzzer opened has ended and let go of its slot.
  expect(fuzz.coordinator.stats().streams).toBe(0);
}

// ---- structured hostile messages: each guaranteed invalid, so none may write ----

/** A record that the coordinator must refuse whatever else its batch holds. */
const poisonRecord = (seq: number): fc.Arbitrary<object> =>
  fc.oneof(
    fc.constant({ seq, rows: { keys: ['a'], steps: [0], timestamps: [1], runtimes: [0], numCounts: [1], numKeys: [7], numValues: [1], jsonCounts: [0] } }),
    hostileNumber
      .filter((s) => !(Number.isSafeInteger(s) && s >= 0))
      .map((s) => ({ seq, rows: { keys: ['a'], steps: [s], timestamps: [1], runtimes: [0], numCounts: [1], numKeys: [0], numValues: [1], jsonCounts: [0] } })),
    fc.constant({ seq, rows: { keys: ['a'], steps: [5, 5], timestamps: [1, 2], runtimes: [0, 0], numCounts: [1, 1], numKeys: [0, 0], numValues: [1, 2], jsonCounts: [0, 0] } }),
    fc.constant({ seq, rows: { keys: ['a'], steps: [9], timestamps: [1], runtimes: [0], numCounts: [3], numKeys: [0], numValues: [1], jsonCounts: [0] } }),
    fc.constantFrom('', '_step', '_timestamp', 'k'.repeat(513), Array.from({ length: 17 }, () => 'd').join('.')).map((key) => ({
      seq,
      rows: { keys: [key], steps: [9], timestamps: [1], runtimes: [0], numCounts: [1], numKeys: [0], numValues: [1], jsonCounts: [0] },
    })),
    fc.constant({ seq, rows: { keys: ['a', 'a'], steps: [9], timestamps: [1], runtimes: [0], numCounts: [2], numKeys: [0, 1], numValues: [1, 2], jsonCounts: [0] } }),
    fc.constantFrom('{', '[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]', `"${'x'.repeat(1024 * 1024 + 1)}"`).map((json) => ({
      seq,
      rows: { keys: ['j'], steps: [9], timestamps: [1], runtimes: [0], numCounts: [0], jsonCounts: [1], jsonKeys: [0], jsonValues: [json] },
    })),
    fc.constantFrom(NaN, Infinity).map((t) => ({ seq, rows: { keys: ['a'], steps: [9], timestamps: [t], runtimes: [0], numCounts: [1], numKeys: [0], numValues: [1], jsonCounts: [0] } })),
    fc.constantFrom('[]', 'nope', '1', `${'{"a":'.repeat(20)}1${'}'.repeat(20)}`).map((valuesJson) => ({ seq, config: { valuesJson } })),
    fc.constantFrom('[]', '{', `{"${Array.from({ length: 20 }, () => 'p').join('.')}":1}`).map((setJson) => ({ seq, summary: { setJson } })),
    fc.constant({ seq, metric: { name: 'm'.repeat(600) } }),
    fc.constant({ seq, alert: { title: 't'.repeat(65), text: 'x', level: 'INFO' } }),
    fc.constant({ seq, runUpdate: { tags: { tags: Array.from({ length: 101 }, (_, i) => `t${i}`) } } }),
  );

/** A record with hostile values that may or may not pass on its own. */
const fillerRecord = (seq: number): fc.Arbitrary<object> =>
  fc.oneof(
    fc.record({ keys: fc.array(hostileString, { minLength: 1, maxLength: 3 }), value: hostileNumber, step: hostileNumber }).map(({ keys, value, step }) => ({
      seq,
      rows: { keys, steps: [step], timestamps: [1], runtimes: [0], numCounts: [keys.length], numKeys: keys.map((_, i) => i), numValues: keys.map(() => value), jsonCounts: [0] },
    })),
    hostileJson.map((valuesJson) => ({ seq, config: { valuesJson, removed: ['lr'] } })),
    hostileJson.map((setJson) => ({ seq, summary: { setJson } })),
    fc.record({ name: hostileString, summary: hostileString, goal: hostileString, stepMetric: hostileString }).map((metric) => ({ seq, metric })),
    fc.record({ title: hostileString, text: hostileString, level: hostileString, waitDurationMs: hostileNumber }).map((alert) => ({ seq, alert })),
    fc.record({ timestamp: hostileNumber, keys: fc.array(hostileString, { maxLength: 3 }), values: fc.array(hostileNumber, { maxLength: 3 }) }).map((system) => ({ seq, system })),
    fc.record({ timestamp: hostileNumber, stream: hostileString, lines: fc.array(hostileString, { maxLength: 3 }) }).map((console) => ({ seq, console })),
    fc.record({ exitCode: fc.integer(), updateFinishState: fc.boolean() }).map((exit) => ({ seq, exit })),
    fc.constant({ seq }),
  );

/** A batch (encoded records) starting at `first`, one of its records poisoned; sometimes its seqs jump or repeat. */
const poisonedBatch = (first: number): fc.Arbitrary<Buffer[]> =>
  fc
    .record({ size: fc.integer({ min: 1, max: 4 }), shift: fc.constantFrom(0, 0, 0, 1, -1, 1000), seqMode: fc.constantFrom('consecutive', 'gap', 'same') })
    .chain(({ size, shift, seqMode }) => {
      const start = Math.max(0, first + shift);
      const seqs = Array.from({ length: size }, (_, i) => (seqMode === 'same' ? start : seqMode === 'gap' ? start + 2 * i : start + i));
      return fc.integer({ min: 0, max: size - 1 }).chain((bad) => fc.tuple(...seqs.map((seq, i) => (i === bad ? poisonRecord(seq) : fillerRecord(seq)))));
    })
    .map((records) => records.map(encodeRecord));

/** One `StreamRecords` call's frames (encoded `ClientFrame`s). */
const streamFrames: fc.Arbitrary<Buffer[]> = fc.oneof(
  // A valid hello for a real run, then batches that must all be refused (no heartbeat: it would write).
  fc
    .record({ entity: fc.constantFrom('', 'local'), batches: fc.array(poisonedBatch(0), { minLength: 1, maxLength: 3 }) })
    .map(({ entity, batches }) => [
      method('/cohort.v1.Coordinator/StreamRecords').encode({ hello: { entity, project: 'fuzz', runId: 'seed-a', label: '' } }),
      ...batches.map((records) => method('/cohort.v1.Coordinator/StreamRecords').encode({ batch: { records } })),
    ]),
  // The same with the seqs right after the applied one (read when the property runs, after the seeding).
  fc
    .constant(null)
    .chain(() => fc.array(poisonedBatch(appliedSeq + 1), { minLength: 1, maxLength: 2 }))
    .map((batches) => [
      method('/cohort.v1.Coordinator/StreamRecords').encode({ hello: { entity: 'local', project: 'fuzz', runId: 'seed-a', label: '' } }),
      ...batches.map((records) => method('/cohort.v1.Coordinator/StreamRecords').encode({ batch: { records } })),
    ]),
  // A hostile hello (no such run, or malformed), then anything.
  fc
    .record({
      hello: fc.record({ entity: hostileString, project: hostileString, runId: hostileString, label: hostileString }),
      rest: fc.array(fc.oneof(fc.record({ timestamp: hostileNumber }).map((heartbeat) => ({ heartbeat })), fc.constant({ hello: { project: 'fuzz', runId: 'seed-a' } }), fc.constant({})), { maxLength: 3 }),
    })
    .filter(({ hello }) => hello.runId !== 'seed-a' && hello.runId !== 'seed-b')
    .map(({ hello, rest }) => [{ hello }, ...rest].map((f) => method('/cohort.v1.Coordinator/StreamRecords').encode(f))),
  // Not a hello first.
  fc.array(fc.constantFrom<object>({ heartbeat: { timestamp: 1 } }, { batch: { records: [] } }, {}), { minLength: 1, maxLength: 3 }).map((frames) =>
    frames.map((f) => method('/cohort.v1.Coordinator/StreamRecords').encode(f)),
  ),
  // A hello whose project is not UTF-8.
  badUtf8.map((bytes) => [rawField(1, Buffer.concat([rawField(2, bytes), rawField(3, Buffer.from('seed-a'))]))]),
);

/** An `OpenRun` request with hostile fields and one field that makes it invalid whatever the rest says. */
const openRunRequest: fc.Arbitrary<object> = fc
  .record({
    base: fc.record(
      {
        entity: fc.constantFrom('', 'local'),
        project: fc.constantFrom('fuzz', 'fuzz-new'),
        runId: fc.oneof(hostileString, fc.constantFrom('seed-a', 'fresh')),
        name: hostileString,
        group: hostileString,
        jobType: hostileString,
        tags: fc.array(hostileString, { maxLength: 3 }),
        notes: hostileString,
        configJson: hostileJson,
        node: hostileString,
        startTime: hostileNumber,
        mode: fc.oneof(hostileString, fc.constantFrom('shared', '')),
        label: hostileString,
        rank: fc.integer(),
        worldSize: fc.integer(),
        localRank: fc.integer(),
        restartAttempt: fc.integer(),
        host: hostileString,
        sweepId: hostileString,
      },
      { requiredKeys: [] },
    ),
    poison: fc.constantFrom<object>(
      { project: '' },
      { project: 'a/b' },
      { project: 'k'.repeat(600) },
      { resume: 'bogus' },
      { configJson: '[1]' },
      { configJson: `${'{"a":'.repeat(20)}1${'}'.repeat(20)}` },
      { tags: [''] },
      { rank: 5, worldSize: 2 },
      { resume: 'allow', forkFrom: 'seed-a?_step=1' },
      { forkFrom: 'no-such-run?_step=1' },
      { resumeFrom: 'seed-a?_step=999999' },
      { resume: 'must', runId: 'never-created' },
    ),
  })
  .map(({ base, poison }) => ({ ...base, ...poison }));

const blobCalls: fc.Arbitrary<[RawMethod, Buffer[]]> = fc.oneof(
  fc
    .oneof(fc.array(fc.oneof(hostileString, unknownDigest), { maxLength: 5 }), fc.constant(Array.from({ length: 10_001 }, () => 'a'.repeat(64))))
    .map((digests): [RawMethod, Buffer[]] => [method('/cohort.v1.Blobs/MissingBlobs'), [method('/cohort.v1.Blobs/MissingBlobs').encode({ digests })]]),
  fc
    .oneof(hostileString, unknownDigest)
    .map((digest): [RawMethod, Buffer[]] => [method('/cohort.v1.Blobs/DownloadBlob'), [method('/cohort.v1.Blobs/DownloadBlob').encode({ digest })]]),
  fc
    .record({
      header: fc.option(fc.record({ digest: fc.oneof(hostileString, unknownDigest), size: hostileUint64 }), { nil: undefined }),
      chunks: fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((data) => ({ data })), fc.constant({ header: { digest: 'a'.repeat(64), size: '1' } }), fc.constant({})), { maxLength: 4 }),
    })
    .map(({ header, chunks }): [RawMethod, Buffer[]] => {
      const m = method('/cohort.v1.Blobs/UploadBlob');
      return [m, [...(header ? [{ header }] : []), ...chunks].map((c) => m.encode(c))];
    }),
);

const runRef = fc.oneof(
  fc.constant({ entity: '', project: 'fuzz', runId: 'seed-a' }),
  fc.record({ entity: hostileString, project: hostileString, runId: hostileString }),
);
const entry = fc.record({ path: hostileString, digest: fc.oneof(hostileString, unknownDigest), size: hostileUint64, ref: hostileString });
/** A name no artifact has (the seeded one is `seed-model`). */
const otherName = hostileString.filter((s) => !s.startsWith('seed-model'));

const artifactCalls: fc.Arbitrary<[RawMethod, Buffer[]]> = fc.oneof(
  fc
    .record({
      run: runRef,
      name: fc.oneof(otherName, fc.constant('seed-model')),
      type: hostileString,
      aliases: fc.array(hostileString, { maxLength: 3 }),
      tags: fc.array(hostileString, { maxLength: 3 }),
      description: hostileString,
      metadataJson: hostileJson,
      // At least one entry names a blob that was never uploaded: the save must be refused.
      entries: fc.tuple(fc.array(entry, { maxLength: 3 }), unknownDigest).map(([es, digest]) => [...es, { path: 'missing.bin', digest, size: '1', ref: '' }]),
      mode: fc.oneof(hostileString, fc.constantFrom('log', 'upsert', 'finish')),
      distributedId: hostileString,
      writer: hostileString,
      expectedWriters: fc.nat(),
      waitMs: fc.nat({ max: 50 }),
    })
    .map((r): [RawMethod, Buffer[]] => [method('/cohort.v1.Artifacts/SaveArtifact'), [method('/cohort.v1.Artifacts/SaveArtifact').encode(r)]]),
  fc
    .record({ run: runRef, path: otherName, type: hostileString, useAs: hostileString })
    .map((r): [RawMethod, Buffer[]] => [method('/cohort.v1.Artifacts/UseArtifact'), [method('/cohort.v1.Artifacts/UseArtifact').encode(r)]]),
  fc
    .record({ entity: hostileString, project: fc.oneof(hostileString, fc.constant('fuzz')), path: fc.oneof(hostileString, fc.constantFrom('seed-model:latest', 'seed-model:v0', 'seed-model:v9')) })
    .map((r): [RawMethod, Buffer[]] => [method('/cohort.v1.Artifacts/GetArtifact'), [method('/cohort.v1.Artifacts/GetArtifact').encode(r)]]),
  fc
    .record({ run: runRef, entity: hostileString, project: hostileString, path: otherName, target: hostileString, aliases: fc.array(hostileString, { maxLength: 3 }) })
    .map((r): [RawMethod, Buffer[]] => [method('/cohort.v1.Artifacts/LinkArtifact'), [method('/cohort.v1.Artifacts/LinkArtifact').encode(r)]]),
  fc
    .record({ run: runRef, files: fc.tuple(fc.array(entry, { maxLength: 3 }), unknownDigest).map(([es, digest]) => [...es, { path: 'missing.bin', digest, size: '1', ref: '' }]) })
    .map((r): [RawMethod, Buffer[]] => [method('/cohort.v1.Artifacts/PutRunFiles'), [method('/cohort.v1.Artifacts/PutRunFiles').encode(r)]]),
  fc
    .record({ run: runRef, path: hostileString })
    .map((r): [RawMethod, Buffer[]] => [method('/cohort.v1.Artifacts/GetRunFile'), [method('/cohort.v1.Artifacts/GetRunFile').encode(r)]]),
);

describe('gRPC fuzzing (hostile input only: nothing may be written)', () => {
  it('answers random bytes on every method with a clear status, within its deadline', async () => {
    const all = [...methods.values()];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...all), fc.array(fc.uint8Array({ maxLength: 512 }).map(Buffer.from), { maxLength: 4 }), async (m, messages) => {
        fc.pre(!opensARun(m, messages));
        await expectSane(m, messages);
      }),
      { numRuns: 2000, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
    await expectStillServing();
  }, TEST_TIMEOUT_MS);

  it('refuses hostile protobuf on every method without breaking', async () => {
    const coordinatorCalls = fc.oneof(
      streamFrames.map((frames): [RawMethod, Buffer[]] => [method('/cohort.v1.Coordinator/StreamRecords'), frames]),
      openRunRequest.map((r): [RawMethod, Buffer[]] => [method('/cohort.v1.Coordinator/OpenRun'), [method('/cohort.v1.Coordinator/OpenRun').encode(r)]]),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: coordinatorCalls }, blobCalls, artifactCalls), async ([m, messages]) => {
        const outcome = await expectSane(m, messages);
        // Every message here is invalid, except reads (GetArtifact, GetRunFile, MissingBlobs, DownloadBlob of the seed).
        if (m.path.endsWith('/OpenRun') || m.path.endsWith('/SaveArtifact') || m.path.endsWith('/PutRunFiles') || m.path.endsWith('/UploadBlob')) {
          expect(outcome.code, `${m.path}: ${outcome.details}`).not.toBe(grpc.status.OK);
        }
      }),
      { numRuns: 2000, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
    await expectStillServing();
  }, TEST_TIMEOUT_MS);

  it('wrote nothing: the store and the blob folder are byte-identical after the hostile phase', async () => {
    expect(await fuzz.snapshot()).toBe(before);
  });
});
