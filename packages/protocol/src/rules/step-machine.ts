import { CohortError, describeValue } from '../errors.js';
import { isPlainObject } from '../leaf-path.js';
import { setOwn } from './set-own.js';

/** One history row, complete: emitted when the step machine flushes. */
export interface PendingRow {
  /** `_step` of the row. */
  step: number;
  /** `_timestamp` of the row: of the last call that contributed to it, in seconds since the epoch. */
  timestamp: number;
  /** The row's values, nested; never holds `_step` or `_timestamp`. */
  data: Record<string, unknown>;
}

/**
 * The step/commit state machine of `run.log` (docs/run-semantics.md §1): which calls make
 * which history rows. The SDK runs it for `run.step` and to build rows; the
 * engine's truth follows from the rows it emits.
 *
 * It takes ownership of the `data` given to {@link StepMachine.log} (a fresh
 * object from `normalizeLogData`) and hands the merged object to `emit`
 * without copying: neither side may touch it afterwards.
 *
 * @example
 * const rows: PendingRow[] = [];
 * const machine = new StepMachine(0, (row) => rows.push(row));
 * machine.log({ k: 1 }, 1, undefined, 100);
 * machine.log({ k: 2 }, undefined, undefined, 101);
 * rows; // [{ step: 1, timestamp: 101, data: { k: 2 } }]
 * machine.step; // 2
 */
export class StepMachine {
  #step: number;
  #pending: Record<string, unknown> | undefined;
  #timestamp = 0;
  readonly #emit: (row: PendingRow) => void;

  /**
   * @param startingStep - the run's starting step (0, or the resumed run's last `_step` + 1).
   * @param emit - receives each flushed row, in step order.
   */
  constructor(startingStep: number, emit: (row: PendingRow) => void) {
    checkStep(startingStep, 'startingStep');
    this.#step = startingStep;
    this.#emit = emit;
  }

  /** The current step (`run.step`): the step the next row will have. */
  get step(): number {
    return this.#step;
  }

  /** Whether values are waiting for their row to be flushed. */
  get hasPending(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * Applies one `run.log(data, { step, commit })` call.
   *
   * @param data - normalized values (see `normalizeLogData`); the machine owns it from now on.
   * @param step - the explicit step, or `undefined`.
   * @param commit - the explicit commit flag, or `undefined`.
   * @param timestamp - the call's time in seconds since the epoch; a `_timestamp` in `data` wins.
   * @returns a warning to show when the whole call is dropped (a step below the current one), else `undefined`.
   */
  log(
    data: Record<string, unknown>,
    step: number | undefined,
    commit: boolean | undefined,
    timestamp: number,
  ): string | undefined {
    if (commit !== undefined && typeof commit !== 'boolean') {
      throw new TypeError(`Expected \`commit\` to be a boolean, got ${describeValue(commit)}`);
    }
    if (step !== undefined) {
      checkStep(step, 'step');
      if (step < this.#step) {
        return `Tried to log to step ${step} that is less than the current step ${this.#step}. Steps must be monotonically increasing, so this data will be ignored.`;
      }
      if (step > this.#step) {
        if (this.#pending !== undefined) this.#flushPending();
        this.#step = step;
      }
    }

    const given = data._timestamp;
    if (given === undefined) {
      this.#timestamp = timestamp;
      if (this.#pending === undefined) this.#pending = data;
      else mergeInto(this.#pending, data);
    } else {
      this.#timestamp = given as number;
      this.#pending ??= {};
      for (const key in data) if (key !== '_timestamp') mergeKey(this.#pending, key, data[key]);
    }

    if (commit === true || (commit === undefined && step === undefined)) this.#flushPending();
    return undefined;
  }

  /** Emits the pending values, if any, as row `step` (what `finish()` does), and moves to the next step. */
  flush(): void {
    if (this.#pending !== undefined) this.#flushPending();
  }

  /**
   * Moves the current step, dropping nothing: pending values are flushed at
   * the old step first. For rewinds (`resumeFrom`) a lower step is allowed.
   */
  setStep(step: number): void {
    checkStep(step, 'step');
    this.flush();
    this.#step = step;
  }

  #flushPending(): void {
    const row: PendingRow = { step: this.#step, timestamp: this.#timestamp, data: this.#pending ?? {} };
    this.#pending = undefined;
    this.#step += 1;
    this.#emit(row);
  }
}

function checkStep(step: unknown, field: string): void {
  if (typeof step !== 'number') {
    throw new TypeError(`Expected \`${field}\` to be a non-negative integer, got ${describeValue(step)}`);
  }
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new CohortError('INVALID_ARGUMENT', `Expected \`${field}\` to be a non-negative integer, got ${describeValue(step)}`);
  }
}

/** Merges `source` into `target` leaf by leaf; `source` is owned, so its subtrees may be adopted. */
function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key in source) mergeKey(target, key, source[key]);
}

function mergeKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (isPlainObject(value)) {
    const existing = target[key];
    if (isPlainObject(existing) && hasKeys(value)) {
      mergeInto(existing, value);
      return;
    }
  }
  setOwn(target, key, value);
}

function hasKeys(obj: Record<string, unknown>): boolean {
  for (const _ in obj) return true;
  return false;
}
