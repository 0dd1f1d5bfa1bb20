/** Where a progress line is drawn: a terminal (`isTTY`) or nothing. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** A progress line redrawn in place; {@link terminalProgress} makes one. */
export interface ProgressLine {
  /** Redraws the line (at most every `everyMs`, and always the last step). */
  update(done: number, total: number): void;
  /** Erases the line, if it was drawn. */
  clear(): void;
}

/**
 * A progress line for long work (`cohort sync`, a large artifact upload): on
 * a terminal only, drawn once the work has taken `afterMs` (short work shows
 * nothing), at most every `everyMs`. `undefined` when `stream` is not a terminal.
 */
export function terminalProgress(
  stream: ProgressStream,
  describe: (done: number, total: number) => string,
  options: { afterMs?: number; everyMs?: number } = {},
): ProgressLine | undefined {
  if (stream.isTTY !== true) return undefined;
  const start = Date.now() + (options.afterMs ?? 1000);
  const everyMs = options.everyMs ?? 200;
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now < start || (now - last < everyMs && done < total)) return;
      last = now;
      drawn = true;
      const pct = total > 0 ? Math.floor((100 * Math.min(done, total)) / total) : 100;
      stream.write(`\r\x1b[K${describe(done, total)} (${pct}%)`);
    },
    clear() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
