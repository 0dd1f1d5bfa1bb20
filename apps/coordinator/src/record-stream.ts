import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CohortError, assertNever, formatIssue, parseRecord, type Limits, type RecordMessage } from '@cohort/protocol';
import type { ClientFrame__Output } from './generated/cohort/v1/ClientFrame.js';
import type { ServerFrame } from './generated/cohort/v1/ServerFrame.js';
import type { ApplyQueues, RunRef, WriterRef } from './apply-queue.js';
import { helloSchema } from './hello-schema.js';
import { toGrpcStatus, toPublicError } from './grpc-status.js';

/** What a record stream needs from the coordinator. */
export interface RecordStreamDeps {
  queues: ApplyQueues;
  limits: Readonly<Limits>;
  log: Logger;
  /**
   * The entity a hello means ('' is the caller's own, or the server default);
   * throws NOT_FOUND for one the caller may not see.
   */
  resolveEntity(entity: string): string;
  /** Throws once the caller's key was revoked (checked per batch; cheap while the key is cached). */
  recheck(): Promise<void>;
  /** Whether the run exists; throws on storage errors. */
  runExists(run: RunRef): Promise<boolean>;
  /** The applied seq of a writer of a run (`writer` '' for the run's own records). */
  appliedSeq(writer: WriterRef): Promise<number>;
  heartbeat(run: RunRef, atSeconds: number): Promise<void>;
  /** Called once when the stream is over, however it ended. */
  onClose(stream: RecordStream): void;
  /** How long the stream may stay open without its hello: a silent stream then ends with DEADLINE_EXCEEDED. */
  helloTimeoutMs: number;
}

/**
 * Lifecycle of one `StreamRecords` call: `awaiting-hello` until the first
 * frame names a run that exists, `streaming` while batches flow, `draining`
 * after the client half-closed (or the server is shutting down) until the
 * pending batches are acked, `closed` once a status was sent or the client
 * went away.
 */
export type RecordStreamState = 'awaiting-hello' | 'opening' | 'streaming' | 'draining' | 'closed';

type Call = grpc.ServerDuplexStream<ClientFrame__Output, ServerFrame>;

/**
 * The server side of one `StreamRecords` call. Frames are handled one at a
 * time: the call is paused while a frame is handled, and stays paused while
 * the run's apply queue is full, so a fast client is slowed by HTTP/2 flow
 * control instead of growing a buffer here.
 */
export class RecordStream {
  #state: RecordStreamState = 'awaiting-hello';
  #run: RunRef | undefined;
  #writer = '';
  #lastAcked = -1;
  #heartbeatInFlight = false;
  #busy: Promise<void> = Promise.resolve();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #call: Call;
  readonly #deps: RecordStreamDeps;
  #log: Logger;

  constructor(call: Call, deps: RecordStreamDeps) {
    this.#call = call;
    this.#deps = deps;
    this.#log = deps.log;
  }

  /** The current state. */
  get state(): RecordStreamState {
    return this.#state;
  }

  /** Starts reading frames, and the hello's deadline. */
  start(): void {
    const call = this.#call;
    const ms = this.#deps.helloTimeoutMs;
    const helloTimer = setTimeout(() => {
      if (this.#state === 'awaiting-hello') {
        this.#fail(new CohortError('DEADLINE_EXCEEDED', `no hello within ${ms} ms of opening the stream; send the hello first (docs/SECURITY.md, "Streams")`));
      }
    }, ms);
    helloTimer.unref();
    call.once('close', () => clearTimeout(helloTimer));
    call.on('data', (frame: ClientFrame__Output) => this.#onFrame(frame));
    call.on('end', () => void this.#finish(undefined));
    call.on('cancelled', () => {
      this.#log.debug('client cancelled the stream');
      this.#markClosed();
    });
    call.on('close', () => this.#markClosed());
  }

  /**
   * Ends the stream because the server is shutting down: stops reading,
   * lets the pending batches commit and be acked, then answers UNAVAILABLE so
   * the client reconnects and resends from its last ack.
   */
  async shutdown(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#call.pause();
    await this.#finish(new CohortError('UNAVAILABLE', 'the coordinator is shutting down; reconnect and resend from the last ack'));
  }

  #onFrame(frame: ClientFrame__Output): void {
    if (this.#state === 'closed' || this.#state === 'draining') return;
    this.#call.pause();
    this.#busy = this.#handle(frame).then(
      () => {
        if (this.#state === 'awaiting-hello' || this.#state === 'streaming') this.#call.resume();
      },
      (err: unknown) => this.#fail(err),
    );
  }

  async #handle(frame: ClientFrame__Output): Promise<void> {
    if (this.#state === 'awaiting-hello') {
      if (frame.kind !== 'hello' || !frame.hello) {
        throw new CohortError('INVALID_ARGUMENT', `the first frame must be \`hello\`, got \`${frame.kind ?? 'an empty frame'}\``);
      }
      this.#state = 'opening';
      await this.#hello(frame.hello);
      return;
    }
    switch (frame.kind) {
      case 'batch':
        return this.#batch(frame.batch?.records ?? []);
      case 'heartbeat':
        this.#heartbeat();
        return;
      case 'hello':
        throw new CohortError('INVALID_ARGUMENT', '`hello` may only be the first frame of a stream');
      case undefined:
        throw new CohortError('INVALID_ARGUMENT', 'frame: holds no kind (expected hello, batch or heartbeat)');
      default:
        assertNever(frame.kind, 'client frame kind');
    }
  }

  async #hello(hello: unknown): Promise<void> {
    const parsed = helloSchema.safeParse(hello);
    if (!parsed.success) throw new CohortError('INVALID_ARGUMENT', formatIssue('hello', parsed.error.issues));
    const run: RunRef = {
      entity: this.#deps.resolveEntity(parsed.data.entity),
      project: parsed.data.project,
      runId: parsed.data.runId,
    };
    if (!(await this.#deps.runExists(run))) {
      throw new CohortError('NOT_FOUND', `run ${run.entity}/${run.project}/${run.runId} does not exist; call OpenRun first`);
    }
    const writer = parsed.data.label;
    const applied = await this.#deps.appliedSeq({ ...run, writer });
    if ((this.#state as RecordStreamState) === 'closed') return;
    this.#run = run;
    this.#writer = writer;
    this.#log = this.#log.child({ run: `${run.entity}/${run.project}/${run.runId}`, ...(writer !== '' && { writer }) });
    this.#state = 'streaming';
    this.#ack(applied);
    this.#log.debug({ appliedSeq: applied }, 'stream opened');
  }

  async #batch(entries: readonly Uint8Array[]): Promise<void> {
    const { limits } = this.#deps;
    if (entries.length === 0) return;
    await this.#deps.recheck();
    if (entries.length > limits.maxRecordsPerBatch) {
      throw new CohortError(
        'RESOURCE_EXHAUSTED',
        `batch: holds ${entries.length} records; at most ${limits.maxRecordsPerBatch} are allowed per batch (maxRecordsPerBatch)`,
      );
    }
    // Parse the whole batch before queueing any of it: a bad record applies nothing.
    const records: RecordMessage[] = new Array(entries.length);
    let bytes = 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      bytes += entry.byteLength;
      const record = parseRecord(entry, i, limits);
      if (i > 0) {
        const prev = records[i - 1]!.seq;
        if (record.seq !== prev + 1) {
          throw new CohortError(
            'INVALID_ARGUMENT',
            `records[${i}].seq: expected ${prev + 1} (one after records[${i - 1}]), got ${record.seq}`,
          );
        }
      }
      records[i] = record;
    }
    const queue = this.#deps.queues.forRun(this.#run!);
    // Once this stream has ended, its batches still queued are dropped: the SDK resends them after its last ack.
    const committed = queue.enqueue(records, bytes, this.#writer, entries, () => this.#state === 'closed').then(
      (seq) => this.#ack(seq),
      (err: unknown) => this.#fail(err),
    );
    this.#pending.add(committed);
    void committed.finally(() => this.#pending.delete(committed));
    await queue.whenNotFull();
  }

  #heartbeat(): void {
    if (this.#heartbeatInFlight) return;
    this.#heartbeatInFlight = true;
    // The server's clock decides liveness, so the client's timestamp is not trusted.
    this.#deps
      .heartbeat(this.#run!, Date.now() / 1000)
      .catch((err: unknown) => {
        // A failed heartbeat is not worth ending a stream that still carries records.
        this.#log.warn({ err }, 'heartbeat failed');
      })
      .finally(() => {
        this.#heartbeatInFlight = false;
      });
  }

  #ack(seq: number): void {
    if (this.#state === 'closed' || seq <= this.#lastAcked) return;
    this.#lastAcked = seq;
    this.#call.write({ ack: { committedSeq: seq } });
  }

  /** Ends the stream after the pending batches settle: OK after a half-close, else `reason`. */
  async #finish(reason: CohortError | undefined): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'draining') return;
    this.#state = 'draining';
    await this.#busy;
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    if ((this.#state as RecordStreamState) === 'closed') return;
    if (reason) {
      this.#fail(reason);
      return;
    }
    this.#state = 'closed';
    this.#call.end();
    this.#deps.onClose(this);
  }

  #fail(err: unknown): void {
    if (this.#state === 'closed') return;
    const error = toPublicError(err);
    if (error.unexpected) this.#log.error({ err }, 'stream failed');
    else this.#log.info({ code: error.code, reason: error.message }, 'stream ended with an error');
    this.#state = 'closed';
    // grpc-js turns an 'error' event into the call's status and ends it.
    this.#call.emit('error', toGrpcStatus(error));
    this.#deps.onClose(this);
  }

  #markClosed(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#deps.onClose(this);
  }
}
