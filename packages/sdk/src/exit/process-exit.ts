import { MAX_EXIT_ERROR_CHARS } from '@cohort/protocol';
import { spawnUploader, type UploadTarget } from './spawn-uploader.js';

/** How the process is ending, as the exit record tells it (docs/sdk.md, how a run ends). */
export interface ProcessEnd {
  readonly exitCode: number;
  /** The signal that ended it (`SIGINT`), if any. */
  readonly signal?: string;
  /** The uncaught error's stack, if one ended it. */
  readonly error?: string;
}

/** A run as the exit path sees it: `Run` implements it. */
export interface ExitParticipant {
  /** Whether the run is still running (nobody called `finish()` or `detach()`). */
  readonly running: boolean;
  /**
   * Synchronous: flushes the open rows and writes the exit record to the WAL
   * (nothing when the run already wrote one). Returns where to upload from
   * when records are left that the server has not committed (online runs).
   */
  endWithProcess(end: ProcessEnd): UploadTarget | undefined;
  /** Finishes the run in process (the loop drained): `finish(exitCode)`. */
  finish(exitCode: number): Promise<void>;
}


const participants = new Set<ExitParticipant>();
let installed = false;
/** The uncaught error that is ending the process (no `uncaughtException` listener will catch it). */
let fatalError: string | undefined;
/** A SIGINT came while the user's own handler was there: a later non-zero exit is that interrupt. */
let sawSigint = false;

/**
 * Makes the run's end follow the process's end, whatever it is (docs/sdk.md,
 * how a run ends): an uncaught exception or unhandled rejection, `process.exit`,
 * SIGINT, or the event loop draining without `finish()`. The hooks change
 * nothing the program does: `uncaughtExceptionMonitor` only watches, the
 * `exit` hook is synchronous, SIGINT is handled only when the program has no
 * handler of its own (and then raised again with its default action), and
 * `beforeExit` finishes the runs only once the loop is empty.
 */
export function joinProcessExit(p: ExitParticipant): void {
  participants.add(p);
  if (installed) return;
  installed = true;
  process.on('uncaughtExceptionMonitor', onFatal);
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  process.on('SIGINT', onSigint);
}

/** The run ended with everything committed (or was never online): the exit path has nothing to do for it. */
export function leaveProcessExit(p: ExitParticipant): void {
  participants.delete(p);
  if (participants.size === 0) uninstall();
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('uncaughtExceptionMonitor', onFatal);
  process.off('beforeExit', onBeforeExit);
  process.off('exit', onExit);
  process.off('SIGINT', onSigint);
}

/**
 * Ends every run with the process, synchronously, and starts an uploader for
 * each that left records the server has not committed. For a path that ends
 * the process without an `exit` event (a signal raised again).
 */
export function endRunsNow(end: ProcessEnd): void {
  const targets: UploadTarget[] = [];
  for (const p of [...participants]) {
    try {
      const target = p.endWithProcess(end);
      if (target) targets.push(target);
    } catch {
      // The process is ending: one run's failure must not keep the others from their WAL.
    }
    participants.delete(p);
  }
  for (const t of targets) spawnUploader(t);
}

/** The stack of an uncaught error (its message first), cut to {@link MAX_EXIT_ERROR_CHARS}. */
export function describeError(err: unknown): string {
  let text: string;
  if (err instanceof Error) text = err.stack ?? `${err.name}: ${err.message}`;
  else {
    try {
      text = `Uncaught ${typeof err === 'string' ? err : JSON.stringify(err) ?? String(err)}`;
    } catch {
      text = `Uncaught ${String(err)}`;
    }
  }
  return text.length > MAX_EXIT_ERROR_CHARS ? `${text.slice(0, MAX_EXIT_ERROR_CHARS - 1)}…` : text;
}

function onFatal(err: unknown, origin: string): void {
  // With the program's own handler the process goes on: not an end.
  const caught = process.listenerCount('uncaughtException') > 0 || (origin === 'unhandledRejection' && process.listenerCount('unhandledRejection') > 0);
  if (!caught) fatalError = describeError(err);
}

let drained = false;
function onBeforeExit(): void {
  // Once: the runs' finish keeps the loop busy; when it is empty again the process exits.
  if (drained) return;
  drained = true;
  const code = typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? 0) || 0;
  for (const p of participants) {
    if (p.running) void p.finish(code).catch(() => undefined);
  }
}

function onExit(code: number): void {
  endRunsNow({
    exitCode: code,
    ...(sawSigint && code !== 0 && { signal: 'SIGINT' }),
    ...(fatalError !== undefined && code !== 0 && { error: fatalError }),
  });
}

function onSigint(): void {
  if (process.listeners('SIGINT').some((l) => l !== onSigint)) {
    // The program handles SIGINT itself: it decides whether and how to end.
    sawSigint = true;
    return;
  }
  endRunsNow({ exitCode: 130, signal: 'SIGINT' });
  uninstall();
  // The default action: the process ends by the signal, as it would have without Cohort.
  process.kill(process.pid, 'SIGINT');
}
