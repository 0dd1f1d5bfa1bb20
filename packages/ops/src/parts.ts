/**
 * The lifecycle of a server process, written once for the coordinator and
 * the worker: an ordered list of parts, started in order and stopped in
 * reverse. A part that fails to start stops the parts before it (newest
 * first) and its error is rethrown.
 */

/** Resolves `'timeout'` when the stop's deadline has passed; never rejects. */
export type Deadline = Promise<'timeout'>;

/** What a started part returns: how to stop it. */
export interface Stoppable {
  /** Releases what the part holds; may cut a graceful step short at `deadline`. */
  stop(deadline: Deadline): Promise<void>;
}

/** One part of a process (a store, a queue connection, a server). */
export interface Part {
  /** Names the part in logs: `grpc`, `engine`. */
  name: string;
  /** Starts the part; a part that fails releases what it took before throwing. */
  start(): Promise<Stoppable>;
}

/** A part with nothing to release. */
export const NOTHING_TO_STOP: Stoppable = { stop: async () => undefined };

/** Where parts starting and stopping are logged (debug) and stop failures (warn); a pino logger fits. */
export interface PartsLog {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Parts that all started. */
export interface StartedParts {
  /**
   * Stops every part, newest first; each is stopped even if an earlier one
   * failed, and the failures are thrown together as an `AggregateError`.
   * `deadline` resolves `shutdownTimeoutMs` after the first call. Memoized.
   */
  stop(): Promise<void>;
}

/** Options of {@link startParts}. */
export interface StartPartsOptions {
  /** Names the process in the `AggregateError` of a failed stop: `coordinator`. */
  what: string;
  log: PartsLog;
  /** The stop's deadline, from its start. */
  shutdownTimeoutMs: number;
}

/** Starts `parts` in order; when part k fails, parts k-1..0 are stopped and the error is rethrown. */
export async function startParts(parts: readonly Part[], options: StartPartsOptions): Promise<StartedParts> {
  const started: Array<{ name: string; stoppable: Stoppable }> = [];
  for (const part of parts) {
    try {
      started.push({ name: part.name, stoppable: await part.start() });
      options.log.debug({ part: part.name }, 'part started');
    } catch (err) {
      await stopAll(started, options).catch(() => undefined);
      throw err;
    }
  }
  let stopping: Promise<void> | undefined;
  return { stop: () => (stopping ??= stopAll(started, options)) };
}

async function stopAll(started: ReadonlyArray<{ name: string; stoppable: Stoppable }>, options: StartPartsOptions): Promise<void> {
  const deadline = delay(options.shutdownTimeoutMs);
  const errors: unknown[] = [];
  for (const { name, stoppable } of [...started].reverse()) {
    try {
      await stoppable.stop(deadline);
      options.log.debug({ part: name }, 'part stopped');
    } catch (err) {
      options.log.warn({ err, step: name }, 'close step failed');
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `${options.what}: close failed`);
}

/** Resolves `'timeout'` after `ms` (on an unref'd timer). */
function delay(ms: number): Deadline {
  return new Promise((r) => setTimeout(() => r('timeout'), ms).unref());
}
