import { MAX_CONSOLE_LINE_CHARS, MAX_CONSOLE_LINES_PER_RECORD, type ConsoleOutputMessage } from '@cohort/protocol';

type Stream = 'stdout' | 'stderr';
type Listener = (stream: Stream, text: string) => void;
type WriteFn = typeof process.stdout.write;

/** Most lines waiting to be sent; beyond it the oldest are dropped (and counted). */
export const MAX_PENDING_CONSOLE_LINES = 10_000;
/** Lines the SDK's own logger writes start with this; they are not captured (no loop through warnings about capture). */
const SDK_PREFIX = 'cohort: ';

const listeners = new Set<Listener>();
const originals: Partial<Record<Stream, WriteFn>> = {};
const wrappers: Partial<Record<Stream, WriteFn>> = {};
/** True while listeners run: a write they cause (a warning) passes through uncaptured. */
let inside = false;

function textOf(chunk: unknown, encoding: unknown): string {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return '';
}

function install(stream: Stream): void {
  const target = process[stream];
  if (wrappers[stream] && target.write === wrappers[stream]) return;
  const original = target.write;
  originals[stream] = original;
  const wrapper = function (this: NodeJS.WriteStream, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (!inside && listeners.size > 0) {
      inside = true;
      try {
        const text = textOf(chunk, encoding);
        for (const l of listeners) l(stream, text);
      } catch {
        // Capture never breaks the process's own output.
      } finally {
        inside = false;
      }
    }
    return (original as (...a: unknown[]) => boolean).call(this, chunk, encoding, cb);
  } as WriteFn;
  wrappers[stream] = wrapper;
  target.write = wrapper;
}

function uninstall(stream: Stream): void {
  const target = process[stream];
  // Restore only when nobody wrapped it after us; otherwise our wrapper stays and passes through.
  if (wrappers[stream] && target.write === wrappers[stream] && originals[stream]) {
    target.write = originals[stream]!;
    delete wrappers[stream];
  }
}

/** Options of {@link ConsoleCapture}. */
export interface ConsoleCaptureOptions {
  /** Where each record goes (the run's record log). */
  readonly append: (console: ConsoleOutputMessage) => void;
  /** The label lines carry ("rank 3", a shared-mode label, or ''). */
  readonly label: string;
  /** How often waiting lines become records. @defaultValue 1000 */
  readonly intervalMs?: number;
}

/**
 * Console capture: the process's stdout and stderr lines, as the run's
 * `output.log`, streamed as `console` records like any other record (WAL,
 * exactly once). `process.stdout.write` and `process.stderr.write` are
 * wrapped while at least one capture is on; the wrapper hands the text on
 * unchanged. Writes made while capture code runs, and lines of the SDK's own
 * logger (`cohort: ...`), are not captured, so a warning about capture can
 * never feed itself.
 */
export class ConsoleCapture {
  readonly #o: ConsoleCaptureOptions;
  readonly #partial: Record<Stream, string> = { stdout: '', stderr: '' };
  readonly #pending: Record<Stream, string[]> = { stdout: [], stderr: [] };
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #listener: Listener = (stream, text) => this.#take(stream, text);
  #stopped = false;

  constructor(options: ConsoleCaptureOptions) {
    this.#o = options;
  }

  /** Starts capturing. */
  start(): void {
    if (this.#stopped || this.#timer) return;
    listeners.add(this.#listener);
    install('stdout');
    install('stderr');
    this.#timer = setInterval(() => this.flush(), this.#o.intervalMs ?? 1000).unref();
  }

  /** Turns waiting lines into records now. */
  flush(final = false): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (final && this.#partial[stream] !== '') {
        this.#push(stream, this.#partial[stream]);
        this.#partial[stream] = '';
      }
      const lines = this.#pending[stream];
      if (stream === 'stderr' && this.#dropped > 0) {
        lines.unshift(`[cohort: ${this.#dropped} console lines dropped: more than ${MAX_PENDING_CONSOLE_LINES} were waiting]`);
        this.#dropped = 0;
      }
      if (lines.length === 0) continue;
      this.#pending[stream] = [];
      const timestamp = Date.now() / 1000;
      for (let i = 0; i < lines.length; i += MAX_CONSOLE_LINES_PER_RECORD) {
        this.#o.append({ timestamp, stream, lines: lines.slice(i, i + MAX_CONSOLE_LINES_PER_RECORD), label: this.#o.label });
      }
    }
  }

  /** Stops capturing, sending what waits (a last partial line included). Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    listeners.delete(this.#listener);
    if (listeners.size === 0) {
      uninstall('stdout');
      uninstall('stderr');
    }
    this.flush(true);
  }

  #take(stream: Stream, text: string): void {
    if (text === '') return;
    const parts = (this.#partial[stream] + text).split('\n');
    this.#partial[stream] = parts.pop()!;
    // A line with no newline for too long is cut rather than kept growing.
    if (this.#partial[stream].length > MAX_CONSOLE_LINE_CHARS) {
      parts.push(this.#partial[stream]);
      this.#partial[stream] = '';
    }
    for (const line of parts) this.#push(stream, line);
  }

  #push(stream: Stream, raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith(SDK_PREFIX)) return;
    const pending = this.#pending[stream];
    if (pending.length + this.#pending[stream === 'stdout' ? 'stderr' : 'stdout'].length >= MAX_PENDING_CONSOLE_LINES) {
      pending.shift();
      this.#dropped++;
    }
    pending.push(line.length > MAX_CONSOLE_LINE_CHARS ? line.slice(0, MAX_CONSOLE_LINE_CHARS) : line);
  }
}
