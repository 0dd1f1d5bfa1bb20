import type { IncomingMessage, ServerResponse } from 'node:http';
import { CohortError, stringifyJson } from '@cohort/protocol';
import type { Engine, RunView } from '@cohort/engine';
import type { RunKey } from '@cohort/store';
import { StreamSlots } from './auth/stream-slots.js';

/**
 * Live updates of one run over Server-Sent Events
 * (`GET /api/v1/runs/:entity/:project/:id/stream`), so the dashboard updates
 * without reload. Each stream polls the engine (the store is the truth, in
 * embedded and scaled mode alike, where another process applies batches) and
 * sends an event only when something changed:
 *
 * - `run`: the run's view (state, summary, config, tags, notes, lastStep...),
 * - `history`: `{ fromStep, toStep }` when rows were added (read them with
 *   `/history` or `/series`),
 * - `ping` comments every 15 s keep proxies from closing an idle stream.
 */

/** Options of {@link RunStreams}. */
export interface RunStreamsOptions {
  engine: Engine;
  /** How often each stream looks for changes. @defaultValue 1000 */
  pollMs?: number;
  /** Most streams open at once; more get 429 RESOURCE_EXHAUSTED. @defaultValue 256 */
  maxStreams?: number;
  /** Most streams one API key (or one address, without keys) may hold open, so it cannot take them all. @defaultValue 32 */
  maxStreamsPerCaller?: number;
}

const PING_MS = 15_000;

/** The open SSE streams of one coordinator; `close()` ends them all (on shutdown). */
export class RunStreams {
  readonly #engine: Engine;
  readonly #pollMs: number;
  readonly #slots: StreamSlots;
  readonly #open = new Set<() => void>();

  constructor(options: RunStreamsOptions) {
    this.#engine = options.engine;
    this.#pollMs = options.pollMs ?? 1000;
    this.#slots = new StreamSlots('live streams', options.maxStreams ?? 256, options.maxStreamsPerCaller ?? 32);
  }

  /** Streams open now. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Starts a stream of `run` on `res` for `caller` (`callerOf`: its key, or
   * its address without keys). Throws NOT_FOUND for an unknown run and
   * RESOURCE_EXHAUSTED over the server's or the caller's bound, before any
   * byte is written. `recheck`, called before each poll, ends the stream
   * once it throws (the caller's key was revoked).
   */
  async start(req: IncomingMessage, res: ServerResponse, run: RunKey, caller: string, recheck: () => Promise<void> = async () => undefined): Promise<void> {
    const release = this.#slots.take(caller);
    let view: RunView | undefined;
    try {
      view = await this.#engine.getRun(run);
      if (!view) throw new CohortError('NOT_FOUND', `run ${run.entity}/${run.project}/${run.runId} does not exist`);
    } catch (err) {
      release();
      throw err;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    const write = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${stringifyJson(data)}\n\n`);
    };
    write('run', view);
    // The cheap head first: the view (config and summary parsed, megabytes maybe) is read only when the run changed.
    let head = await this.#engine.runHead(run);
    let busy = false;
    let lastPing = Date.now();
    const poll = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        await recheck();
        const nextHead = await this.#engine.runHead(run);
        if (!nextHead) return stop();
        const moved = head === undefined || nextHead.version !== head.version || nextHead.heartbeatAt !== head.heartbeatAt;
        head = nextHead;
        const next: RunView | undefined = moved ? await this.#engine.getRun(run) : view;
        if (!next) return stop();
        if (moved && changed(view!, next)) {
          if (next.lastStep !== null && next.lastStep !== view!.lastStep) {
            write('history', { fromStep: view!.lastStep === null ? 0 : view!.lastStep + 1, toStep: next.lastStep });
          }
          write('run', next);
          view = next;
        } else if (Date.now() - lastPing >= PING_MS) {
          res.write(': ping\n\n');
          lastPing = Date.now();
        }
      } catch {
        stop();
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void poll(), this.#pollMs);
    timer.unref();
    const stop = (): void => {
      clearInterval(timer);
      release();
      this.#open.delete(stop);
      if (!res.writableEnded) res.end();
    };
    this.#open.add(stop);
    req.on('close', stop);
    res.on('error', stop);
  }

  /** Ends every open stream. */
  close(): void {
    for (const stop of [...this.#open]) stop();
  }
}

function changed(a: RunView, b: RunView): boolean {
  return (
    a.appliedSeq !== b.appliedSeq ||
    a.state !== b.state ||
    a.lastStep !== b.lastStep ||
    a.name !== b.name ||
    a.notes !== b.notes ||
    a.tags.join('\u0000') !== b.tags.join('\u0000') ||
    a.heartbeatAt !== b.heartbeatAt
  );
}
