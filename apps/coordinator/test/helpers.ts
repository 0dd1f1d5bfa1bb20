import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { encodeRecord, RowsBuilder, withOpenRunDefaults, type OpenRunRequestMessage, type OpenRunResponseMessage } from '@cohort/protocol';
import { loadService } from '../src/load-service.js';
import type { CoordinatorClient } from '../src/generated/cohort/v1/Coordinator.js';
import type { ClientFrame } from '../src/generated/cohort/v1/ClientFrame.js';
import type { ServerFrame__Output } from '../src/generated/cohort/v1/ServerFrame.js';

/** A temporary folder, removed on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), 'cohort-test-'));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** A typed gRPC client of a coordinator, closed on dispose. */
export function connect(address: string): CoordinatorClient & Disposable {
  const Client = loadService().cohort.v1.Coordinator;
  const client = new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  return Object.assign(client, { [Symbol.dispose]: () => client.close() });
}

/** `OpenRun` as a promise. */
export function openRun(client: CoordinatorClient, request: Partial<OpenRunRequestMessage>): Promise<OpenRunResponseMessage> {
  const full = withOpenRunDefaults({ rank: -1, worldSize: -1, localRank: -1, startTime: Date.now() / 1000, ...request });
  return new Promise((resolve, reject) => {
    client.OpenRun(full, (err, res) => (err ? reject(err) : resolve(res as unknown as OpenRunResponseMessage)));
  });
}

/** The status a stream ended with. */
export interface StreamEnd {
  code: grpc.status;
  details: string;
}

/** A client side of `StreamRecords` that collects acks. */
export interface TestStream {
  write(frame: ClientFrame): void;
  /** Half-closes. */
  end(): void;
  acks: number[];
  /** Resolves when an ack of at least `seq` arrived. */
  ackAtLeast(seq: number): Promise<void>;
  /** Resolves with the final status. */
  ended: Promise<StreamEnd>;
  cancel(): void;
}

/** Opens `StreamRecords`, optionally sending a hello for a run. */
export function stream(client: CoordinatorClient, hello?: { entity?: string; project: string; runId: string; label?: string }): TestStream {
  const call = client.StreamRecords();
  const acks: number[] = [];
  const waiters: { seq: number; resolve: () => void }[] = [];
  call.on('data', (frame: ServerFrame__Output) => {
    if (frame.ack) {
      const seq = Number(frame.ack.committedSeq);
      acks.push(seq);
      for (const w of waiters.splice(0)) {
        if (seq >= w.seq) w.resolve();
        else waiters.push(w);
      }
    }
  });
  call.on('error', () => undefined);
  const ended = new Promise<StreamEnd>((resolve) => call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details })));
  if (hello) call.write({ hello: { entity: hello.entity ?? '', project: hello.project, runId: hello.runId, label: hello.label ?? '' } });
  return {
    write: (frame) => call.write(frame),
    end: () => call.end(),
    acks,
    ackAtLeast: (seq) =>
      acks.some((a) => a >= seq)
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            waiters.push({ seq, resolve });
            void ended.then((s) => reject(new Error(`stream ended (${grpc.status[s.code]}: ${s.details}) before ack ${seq}`)));
          }),
    ended,
    cancel: () => call.cancel(),
  };
}

/** The encoded bytes of a rows record holding `count` rows from `firstStep`, each `{ loss, acc, phase }`. */
export function rowsRecord(seq: number, firstStep: number, count: number): Buffer {
  const builder = new RowsBuilder();
  for (let i = 0; i < count; i++) {
    const step = firstStep + i;
    builder.add({ step, timestamp: 1_700_000_000 + step, data: { loss: 1 / (step + 1), train: { acc: step / 100 }, phase: 'train' } }, step * 0.5);
  }
  return Buffer.from(encodeRecord({ seq, kind: 'rows', rows: builder.build() }));
}

/** Fetches JSON from the HTTP API. */
export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}
