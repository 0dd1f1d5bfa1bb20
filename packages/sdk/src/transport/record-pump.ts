import type * as grpc from '@grpc/grpc-js';
import type { CohortError } from '@cohort/protocol';
import type { Logger } from '../logger.js';
import type { WalEntry } from '../wal/wal-format.js';
import {
  authMetadata,
  fromGrpcError,
  RETRYABLE_STATUS,
  type ClientFrame,
  type CoordinatorClient,
  type ServerFrame,
} from './grpc-client.js';

/** Where the pump reads records to send. */
export interface RecordSource {
  /** The last seq that may be sent. */
  readonly writtenSeq: number;
  /** Entries from `fromSeq` on, up to about `maxBytes` (at least one when any is available). */
  read(fromSeq: number, maxBytes: number): Promise<WalEntry[]>;
}

/** Options of {@link RecordPump}. */
export interface RecordPumpOptions {
  readonly client: CoordinatorClient;
  readonly apiKey: string | undefined;
  /** Which run (and, in shared mode, which writer: `label`) the stream writes. */
  readonly hello: { readonly entity: string; readonly project: string; readonly runId: string; readonly label?: string };
  readonly source: RecordSource;
  readonly logger: Logger;
  /** Called with each newly committed seq. */
  readonly onCommitted: (seq: number) => void;
  /** Called with the server's applied seq each time a stream opens (its first ack). */
  readonly onOpened?: (appliedSeq: number) => void;
  /** Called once when the stream fails for good (a non-retryable status). */
  readonly onFailed: (error: CohortError) => void;
  /** @defaultValue 15000 */
  readonly heartbeatMs?: number;
  /** The most record bytes in one batch frame. @defaultValue 4 MiB */
  readonly maxFrameBytes?: number;
  /** The most records in one batch frame (the server allows 10 000). @defaultValue 1000 */
  readonly maxFrameRecords?: number;
  /** The most bytes sent and not yet committed. @defaultValue 32 MiB */
  readonly maxInFlightBytes?: number;
  /** How long to wait for the first ack after Hello before reconnecting. @defaultValue 30000 */
  readonly helloTimeoutMs?: number;
  /** First reconnect delay; it doubles per failed attempt. @defaultValue 100 */
  readonly backoffInitialMs?: number;
  /** The longest reconnect delay. @defaultValue 5000 */
  readonly backoffMaxMs?: number;
  /**
   * How long the stream stays open with nothing to send before it is parked
   * (half-closed; the next record or heartbeat opens a new one). An open
   * stream keeps the process alive, so a parked one lets a script that never
   * calls `finish()` reach its end (docs/sdk.md, how a run ends). @defaultValue 1000
   */
  readonly idleMs?: number;
}

/** The pump's lifecycle. */
export type RecordPumpState = 'idle' | 'connecting' | 'streaming' | 'parked' | 'backoff' | 'failed' | 'closed';

/**
 * Streams a run's records to the coordinator: Hello, then batches from the
 * committed seq + 1, heartbeats, and on a retryable failure a reconnect with
 * exponential backoff and full jitter that resends everything after the last
 * committed seq (the server ignores what it already applied).
 */
export class RecordPump {
  readonly #o: RecordPumpOptions;
  readonly #maxFrameBytes: number;
  readonly #maxInFlightBytes: number;
  readonly #maxFrameRecords: number;
  #state: RecordPumpState = 'idle';
  #stream: grpc.ClientDuplexStream<ClientFrame, ServerFrame> | undefined;
  #generation = 0;
  #committed = 0;
  #sentSeq = 0;
  #inFlight: Array<{ lastSeq: number; bytes: number }> = [];
  #inFlightBytes = 0;
  #sending = false;
  #attempt = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  /** The current stream was opened only to send a heartbeat: park it right after. */
  #heartbeatOnly = false;
  #failure: CohortError | undefined;

  constructor(options: RecordPumpOptions) {
    this.#o = options;
    this.#maxFrameBytes = options.maxFrameBytes ?? 4 * 1024 * 1024;
    this.#maxInFlightBytes = options.maxInFlightBytes ?? 32 * 1024 * 1024;
    this.#maxFrameRecords = options.maxFrameRecords ?? 1000;
  }

  get state(): RecordPumpState {
    return this.#state;
  }
  /** Why the pump stopped, once `state` is `failed`. */
  get failure(): CohortError | undefined {
    return this.#failure;
  }

  /** Opens the stream. */
  start(): void {
    if (this.#state !== 'idle') return;
    const heartbeatMs = this.#o.heartbeatMs ?? 15_000;
    this.#heartbeat = setInterval(() => {
      if (this.#state === 'streaming') this.#write({ heartbeat: { timestamp: Date.now() / 1000 } });
      else if (this.#state === 'parked') {
        this.#heartbeatOnly = true;
        this.#connect();
      }
    }, heartbeatMs);
    this.#heartbeat.unref();
    this.#connect();
  }

  /** Tells the pump that more records can be sent. */
  notify(): void {
    if (this.#state === 'streaming') void this.#pump();
    else if (this.#state === 'parked' && this.#o.source.writtenSeq > this.#committed) {
      this.#heartbeatOnly = false;
      this.#connect();
    }
  }

  /** Ends the stream (half-close, then cancel) and stops reconnecting. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retryTimer);
    this.#endStream();
  }

  /** Half-closes the current stream (the server ends its side once it has acked what it got). */
  #endStream(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) {
      stream.end();
      // The server ends its side once the client half-closes; do not wait on it forever.
      setTimeout(() => stream.cancel(), 1000).unref();
    }
  }

  /** Parks the stream once nothing was sent or in flight for `idleMs` (at once after a heartbeat-only stream). */
  #parkWhenIdle(): void {
    if (this.#state !== 'streaming' || this.#inFlight.length > 0 || this.#sentSeq < this.#o.source.writtenSeq) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
      return;
    }
    const park = (): void => {
      this.#idleTimer = undefined;
      if (this.#state !== 'streaming' || this.#inFlight.length > 0 || this.#sentSeq < this.#o.source.writtenSeq) return;
      this.#state = 'parked';
      this.#generation++;
      this.#heartbeatOnly = false;
      this.#endStream();
    };
    if (this.#heartbeatOnly) {
      park();
      return;
    }
    if (this.#idleTimer !== undefined) return;
    this.#idleTimer = setTimeout(park, this.#o.idleMs ?? 1000);
    this.#idleTimer.unref();
  }

  #connect(): void {
    if (this.#state === 'closed') return;
    this.#state = 'connecting';
    const generation = ++this.#generation;
    const stream = this.#o.client.StreamRecords(authMetadata(this.#o.apiKey));
    this.#stream = stream;
    this.#inFlight = [];
    this.#inFlightBytes = 0;
    let ended = false;
    const end = (err: grpc.ServiceError | undefined): void => {
      if (ended) return;
      ended = true;
      if (generation === this.#generation) this.#onEnd(err);
    };
    stream.on('data', (frame: ServerFrame) => {
      if (generation !== this.#generation) return;
      if (frame.ack) this.#onAck(Number(frame.ack.committedSeq));
    });
    stream.on('error', (err: grpc.ServiceError) => end(err));
    stream.on('status', (status: grpc.StatusObject) => {
      if (status.code !== 0) end(Object.assign(new Error(status.details), status) as grpc.ServiceError);
      else end(undefined);
    });
    stream.on('end', () => end(undefined));
    const { entity, project, runId, label = '' } = this.#o.hello;
    stream.write({ hello: { entity, project, runId, label } });
    // A server that never answers Hello must not hold the run forever: cancel, which reconnects.
    const helloTimer = setTimeout(() => {
      if (generation === this.#generation && this.#state === 'connecting') stream.cancel();
    }, this.#o.helloTimeoutMs ?? 30_000);
    helloTimer.unref();
    stream.once('data', () => clearTimeout(helloTimer));
  }

  #onAck(committed: number): void {
    if (this.#state === 'connecting') {
      // The first ack after Hello: resend everything after what the server committed.
      this.#state = 'streaming';
      this.#attempt = 0;
      this.#sentSeq = committed;
      if (this.#heartbeatOnly) this.#write({ heartbeat: { timestamp: Date.now() / 1000 } });
      this.#o.onOpened?.(committed);
    }
    if (committed > this.#committed) {
      this.#committed = committed;
      this.#o.onCommitted(committed);
    }
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.lastSeq <= committed) {
      this.#inFlightBytes -= this.#inFlight.shift()!.bytes;
    }
    if (this.#sentSeq < committed) this.#sentSeq = committed;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    const generation = this.#generation;
    try {
      while (
        this.#state === 'streaming' &&
        generation === this.#generation &&
        this.#sentSeq < this.#o.source.writtenSeq &&
        this.#inFlightBytes < this.#maxInFlightBytes
      ) {
        const read = await this.#o.source.read(this.#sentSeq + 1, this.#maxFrameBytes);
        const entries = read.length > this.#maxFrameRecords ? read.slice(0, this.#maxFrameRecords) : read;
        if (entries.length === 0 || this.#state !== 'streaming' || generation !== this.#generation) break;
        if (entries[0]!.seq !== this.#sentSeq + 1) break;
        let bytes = 0;
        const records = entries.map((e) => {
          bytes += e.bytes.length;
          return Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
        });
        const lastSeq = entries[entries.length - 1]!.seq;
        this.#sentSeq = lastSeq;
        this.#inFlight.push({ lastSeq, bytes });
        this.#inFlightBytes += bytes;
        const flushed = this.#write({ batch: { records } });
        if (!flushed) await this.#drained();
      }
    } catch (err) {
      this.#o.logger.error(`Reading records to send failed: ${(err as Error).message}`);
    } finally {
      this.#sending = false;
    }
    this.#parkWhenIdle();
  }

  #write(frame: ClientFrame): boolean {
    const stream = this.#stream;
    if (!stream) return true;
    try {
      return stream.write(frame);
    } catch {
      return true;
    }
  }

  #drained(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        stream.off('error', done);
        resolve();
      };
      stream.once('drain', done);
      stream.once('close', done);
      stream.once('error', done);
    });
  }

  #onEnd(err: grpc.ServiceError | undefined): void {
    if (this.#state === 'closed' || this.#state === 'failed' || this.#state === 'parked') return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#heartbeatOnly = false;
    this.#stream = undefined;
    const code = err?.code;
    if (err && code !== undefined && !RETRYABLE_STATUS.has(code)) {
      this.#state = 'failed';
      clearInterval(this.#heartbeat);
      this.#failure = fromGrpcError(err, `The record stream of run ${this.#o.hello.runId} failed`);
      this.#o.logger.error(`${this.#failure.message}; records stay in the WAL (upload them later with \`cohort sync\`).`);
      this.#o.onFailed(this.#failure);
      return;
    }
    this.#state = 'backoff';
    const initial = this.#o.backoffInitialMs ?? 100;
    const max = this.#o.backoffMaxMs ?? 5000;
    const ceiling = Math.min(max, initial * 2 ** Math.min(this.#attempt, 20));
    this.#attempt++;
    // Full jitter, with a floor so a flapping server is not hammered.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    if (this.#attempt === 3) {
      this.#o.logger.warn(`Lost the connection to the server (${err?.details ?? err?.message ?? 'stream ended'}); retrying.`);
    }
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
    this.#retryTimer.unref();
  }
}
