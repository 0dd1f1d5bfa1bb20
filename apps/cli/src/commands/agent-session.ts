import { relative, sep } from 'node:path';
import { CohortError, escapeKey, UsageError } from '@cohort/protocol';
import { init, type InitOptions, type Logger, type Run, type SavePolicy } from '@cohort/sdk';
import { AgentArtifacts, ARTIFACT_OPS } from './agent-artifacts.js';
import { reviveMedia } from './agent-media.js';
import { SWEEP_OPS, sweepCall } from './agent-sweeps.js';

/**
 * One client's session with `cohort agent` (docs/python.md): each request is
 * handed to `@cohort/sdk` as it is; no Run rule lives here. Requests are
 * `[op, id, args]`; `id` 0 asks for no reply (`log`), any other id gets
 * `[id, "ok", value]` or `[id, "error", { type, code, message }]`.
 * An error of a call without a reply is kept and answered to the next call that
 * has one, which is then not run.
 */
export type Reply = (frame: readonly [number, 'ok' | 'error', unknown]) => void;

/** What a client's vanished channel does to its run: flush what it sent, then leave the run to the heartbeat watcher (crashed). */
export type SessionEnd = 'finished' | 'detached' | 'no-run';

/** A call's error as the client sees it. */
export interface WireError {
  readonly type: string;
  readonly code: string;
  readonly message: string;
}

/** The Python names of a run's attributes, from the SDK's run. */
function attributes(run: Run): Record<string, unknown> {
  return {
    id: run.id,
    name: run.name,
    entity: run.entity,
    project: run.project,
    path: run.path,
    group: run.group,
    job_type: run.jobType,
    tags: run.tags,
    notes: run.notes,
    dir: run.dir,
    mode: run.mode,
    resumed: run.resumed,
    start_time: run.startTime,
    starting_step: run.startingStep,
    sweep_id: run.sweepId ?? null,
    url: run.getUrl() ?? null,
    project_url: run.getProjectUrl() ?? null,
    sweep_url: run.getSweepUrl() ?? null,
    config: run.config.toJSON(),
  };
}

function toWireError(err: unknown): WireError {
  if (err instanceof CohortError) return { type: err.name, code: err.code, message: err.message };
  if (err instanceof TypeError) return { type: 'TypeError', code: 'INVALID_ARGUMENT', message: err.message };
  if (err instanceof RangeError) return { type: 'ValueError', code: 'INVALID_ARGUMENT', message: err.message };
  return { type: 'Error', code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

function record(args: unknown, op: string): Record<string, unknown> {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new CohortError('INVALID_ARGUMENT', `agent: \`${op}\` expects an object of arguments, got ${Array.isArray(args) ? 'an array' : typeof args}`);
  }
  return args as Record<string, unknown>;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`Expected \`${name}\` to be a string, got ${value === null ? 'None' : typeof value}`);
  return value;
}

/** Key lists a client may define at once (ids 0 to this, exclusive): bounds the table. */
const MAX_KEY_LISTS = 4096;

export class AgentSession {
  #run: Run | undefined;
  #deferred: WireError | undefined;
  #deferredCount = 0;
  /** The key lists of `log` rows, by id. */
  readonly #keyLists: (string[] | undefined)[] = [];
  readonly #artifacts = new AgentArtifacts();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** The active run, if any. */
  get run(): Run | undefined {
    return this.#run;
  }

  /** Runs one request; resolves once it is done (its reply, if any, sent). */
  async handle(frame: unknown, reply: Reply): Promise<void> {
    if (!Array.isArray(frame) || typeof frame[0] !== 'string' || !Number.isSafeInteger(frame[1]) || (frame[1] as number) < 0) {
      throw new CohortError('INVALID_ARGUMENT', 'agent channel: a frame must be [op, id, args] with a string op and an integer id >= 0');
    }
    const [op, id, args] = frame as [string, number, unknown];
    if (id === 0) {
      try {
        await this.#call(op, args);
      } catch (err) {
        this.#defer(op, err);
      }
      return;
    }
    const deferred = this.#deferred;
    // `finish` and `terminate` always run: the run must end whatever failed before.
    if (deferred !== undefined && op !== 'finish' && op !== 'terminate') {
      const more = this.#deferredCount > 1 ? ` (and ${this.#deferredCount - 1} more calls failed)` : '';
      this.#deferred = undefined;
      this.#deferredCount = 0;
      reply([id, 'error', { ...deferred, message: `${deferred.message}${more}` }]);
      return;
    }
    try {
      reply([id, 'ok', (await this.#call(op, args)) ?? null]);
    } catch (err) {
      reply([id, 'error', toWireError(err)]);
    }
  }

  #defer(op: string, err: unknown): void {
    const wire = toWireError(err);
    this.#deferredCount++;
    if (this.#deferred === undefined) {
      this.#deferred = { ...wire, message: `an earlier \`${op}\` failed: ${wire.message}` };
      this.#logger.warn(`cohort agent: \`${op}\` failed: ${wire.message}`);
    }
  }

  #active(op: string): Run {
    const run = this.#run;
    if (run === undefined) throw new UsageError(`You must call \`cohort.init()\` before \`${op}\`.`);
    return run;
  }

  async #call(op: string, args: unknown): Promise<unknown> {
    switch (op) {
      case 'log':
        return this.#log(args);
      case 'log_media': {
        // One row holding media descriptors: [data, step, commit].
        const [data, step, commit] = args as [unknown, number | null, boolean | null];
        this.#logRow(this.#active(op), reviveMedia(data) as Record<string, unknown>, step, commit);
        return undefined;
      }
      case 'init': {
        if (this.#run !== undefined) throw new UsageError('This agent already runs a run; the client starts one agent per run.');
        const { program, ...options } = record(args, op);
        // The SDK names things after the entry script (logCode's default name): the client's, not the CLI's.
        if (typeof program === 'string' && program !== '') process.argv[1] = program;
        this.#run = await init(options as InitOptions);
        return attributes(this.#run);
      }
      case 'save': {
        const a = record(args, op);
        const options = { ...(typeof a['base_path'] === 'string' && { basePath: a['base_path'] }), ...(typeof a['policy'] === 'string' && { policy: a['policy'] as SavePolicy }) };
        return this.#active(op).save(text(a['glob'], 'glob_str'), options);
      }
      case 'restore': {
        const a = record(args, op);
        const options = { ...(typeof a['run_path'] === 'string' && { runPath: a['run_path'] }), replace: a['replace'] === true, ...(typeof a['root'] === 'string' && { root: a['root'] }) };
        return (await this.#active(op).restore(text(a['name'], 'name'), options)) ?? null;
      }
      case 'log_code': {
        const a = record(args, op);
        // The client applied its own include_fn/exclude_fn: `files` are the relative paths they kept.
        const kept = Array.isArray(a['files']) ? new Set(a['files'] as string[]) : undefined;
        const options = { ...(typeof a['name'] === 'string' && { name: a['name'] }), ...(kept && { include: (p: string, root: string) => kept.has(relative(root, p).split(sep).join('/')) }) };
        const artifact = await this.#active(op).logCode(typeof a['root'] === 'string' ? a['root'] : '.', options);
        return artifact === undefined ? null : this.#artifacts.info(artifact);
      }
      case 'step':
        return this.#active(op).step;
      case 'attributes':
        return attributes(this.#active(op));
      case 'summary_get': {
        const a = record(args, op);
        const summary = this.#active(op).summary;
        if (a['key'] === undefined) return summary.toJSON();
        const keys = Array.isArray(a['key']) ? (a['key'] as unknown[]) : [a['key']];
        const value = summary.get(keys.map((k) => escapeKey(text(k, 'key'))).join('.'));
        // `{}` for an absent key, so that a summary value of null stays apart from no value.
        return value === undefined ? {} : { value };
      }
      case 'summary_set': {
        const a = record(args, op);
        const keys = Array.isArray(a['key']) ? (a['key'] as unknown[]) : [a['key']];
        this.#active(op).summary.set(keys.map((k) => escapeKey(text(k, 'key'))).join('.'), a['value']);
        return undefined;
      }
      case 'summary_update':
        this.#active(op).summary.update(record(record(args, op)['values'], op));
        return undefined;
      case 'summary_delete': {
        const a = record(args, op);
        const keys = Array.isArray(a['key']) ? (a['key'] as unknown[]) : [a['key']];
        return this.#active(op).summary.delete(keys.map((k) => escapeKey(text(k, 'key'))).join('.'));
      }
      case 'config_update': {
        const a = record(args, op);
        const config = this.#active(op).config;
        config.update(record(a['values'], op), { allowValChange: a['allow_val_change'] === true });
        return config.toJSON();
      }
      case 'config_setdefaults': {
        const config = this.#active(op).config;
        config.setDefaults(record(record(args, op)['values'], op));
        return config.toJSON();
      }
      case 'define_metric': {
        const a = record(args, op);
        return this.#active(op).defineMetric(text(a['name'], 'name'), record(a['options'] ?? {}, op));
      }
      case 'alert': {
        const a = record(args, op);
        this.#active(op).alert(a['title'] as string, a['text'] as string, record(a['options'] ?? {}, op));
        return undefined;
      }
      case 'mark_preempting':
        this.#active(op).markPreempting();
        return undefined;
      case 'status': {
        const s = this.#active(op).status();
        return { sync_items_total: s.syncItemsTotal, sync_items_pending: s.syncItemsPending, sync_time: s.syncTime === null ? null : s.syncTime.getTime() / 1000 };
      }
      case 'set_attribute': {
        const a = record(args, op);
        const run = this.#active(op);
        const name = a['name'];
        if (name === 'name') run.name = a['value'] as string;
        else if (name === 'notes') run.notes = a['value'] as string;
        else if (name === 'tags') run.tags = a['value'] as string[];
        else throw new CohortError('INVALID_ARGUMENT', `agent: \`set_attribute\` sets name, notes or tags, not ${JSON.stringify(name)}`);
        return undefined;
      }
      case 'flush':
        await this.#active(op).flush();
        return undefined;
      case 'finish': {
        const a = record(args, op);
        const run = this.#active(op);
        if (typeof a['error'] === 'string' && a['error'] !== '') {
          // The client's uncaught exception: its traceback is the error the run page shows (exit code 1).
          const error = new Error(a['error'].split('\n').findLast((line) => line.trim() !== '') ?? 'error');
          error.stack = a['error'];
          await run.finishFailed(error);
        } else {
          await run.finish((a['exit_code'] ?? 0) as number);
        }
        return undefined;
      }
      case 'terminate':
        // The SDK's own SIGTERM path (docs/distributed.md): preempting, flush, exit 143.
        return this.terminate();
      default:
        if (ARTIFACT_OPS.has(op)) return this.#artifacts.call(this.#active(op), op, record(args, op));
        // Sweep calls need no run: the Python client's `agent` holds a channel for them alone.
        if (SWEEP_OPS.has(op)) return sweepCall(op, record(args, op));
        throw new CohortError('INVALID_ARGUMENT', `agent: unknown call ${JSON.stringify(op)}`);
    }
  }

  /**
   * A `log` frame: `[definitions, rows]` (the Python client's `RowKeys`):
   * `definitions` are `[id, keys]` (a key list the rows name by id), each row
   * `[id, step, commit, ...values]` with `null` for an absent step or commit.
   */
  #log(args: unknown): void {
    const run = this.#active('log');
    if (!Array.isArray(args) || args.length !== 2 || !Array.isArray(args[0]) || !Array.isArray(args[1])) {
      throw new CohortError('INVALID_ARGUMENT', 'agent: `log` expects [definitions, rows]');
    }
    const keyLists = this.#keyLists;
    for (const def of args[0] as unknown[]) {
      const [id, keys] = def as [unknown, unknown];
      if (!Number.isSafeInteger(id) || (id as number) < 0 || (id as number) >= MAX_KEY_LISTS || !Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
        throw new CohortError('INVALID_ARGUMENT', `agent: a key list must be [id below ${MAX_KEY_LISTS}, [str, ...]]`);
      }
      keyLists[id as number] = keys as string[];
    }
    for (const row of args[1] as unknown[][]) {
      try {
        const keys = keyLists[row[0] as number];
        if (keys === undefined) throw new CohortError('INVALID_ARGUMENT', `agent: a row names key list ${String(row[0])}, which was never defined`);
        const data: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!;
          if (key === '__proto__') Object.defineProperty(data, key, { value: row[3 + i], enumerable: true, writable: true, configurable: true });
          else data[key] = row[3 + i];
        }
        this.#logRow(run, data, row[1] as number | null, row[2] as boolean | null);
      } catch (err) {
        this.#defer('log', err);
      }
    }
  }

  #logRow(run: Run, data: Record<string, unknown>, step: number | null, commit: boolean | null): void {
    if (step === null && commit === null) run.log(data);
    else run.log(data, { ...(step !== null && { step }), ...(commit !== null && { commit }) });
  }

  /** Raises SIGTERM in this process, so the SDK's handler ends the run; resolves once it ended. */
  async terminate(): Promise<void> {
    const run = this.#run;
    if (run === undefined) return;
    if (run.state === 'running') {
      // Listeners run in the order they were added: once this one runs, the SDK's has begun finishing the run.
      const delivered = new Promise((resolve) => process.once('SIGTERM', resolve));
      process.kill(process.pid, 'SIGTERM');
      await delivered;
    }
    await this.settle(143);
  }

  /** Waits for the run's end; after the SDK's handlers had their turn, `finish` returns the ending already under way. */
  async settle(exitCode: number): Promise<void> {
    const run = this.#run;
    if (run === undefined) return;
    await new Promise((r) => setImmediate(r));
    if (run.state === 'running' || run.state === 'finishing') await run.finish(exitCode).catch(() => undefined);
  }

  /**
   * The client's channel closed. After a `finish` there is nothing to do; else
   * the client died (kill -9): what it sent is committed (bounded by
   * `finishTimeoutMs`), then the run is detached, so the server's heartbeat
   * watcher marks it crashed (docs/run-semantics.md §5).
   */
  async clientGone(): Promise<SessionEnd> {
    const run = this.#run;
    if (run === undefined) return 'no-run';
    if (run.state === 'finished' || run.state === 'detached') return 'finished';
    if (run.state === 'finishing') {
      await run.finish(0).catch(() => undefined);
      return 'finished';
    }
    this.#logger.warn(`cohort agent: the client of run ${run.id} went away without finishing it; committing what it sent, then leaving the run to be marked crashed.`);
    await run.flush().catch((err: unknown) => this.#logger.warn(`cohort agent: flushing run ${run.id} failed: ${(err as Error).message}`));
    await run.detach();
    return 'detached';
  }
}
