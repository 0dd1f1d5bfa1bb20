import { describe, expect, it } from 'vitest';
import type { ConsoleOutputMessage } from '@cohort/protocol';
import { ConsoleCapture } from './console-capture.js';

describe('ConsoleCapture', () => {
  it('turns written text into lines per stream, skips the SDK own lines, and restores the streams', () => {
    const out: ConsoleOutputMessage[] = [];
    const before = process.stdout.write;
    const capture = new ConsoleCapture({ label: 'rank 2', append: (m) => out.push(m), intervalMs: 60_000 });
    capture.start();
    try {
      process.stdout.write('first line\nsecond ');
      process.stdout.write('half\r\n');
      process.stderr.write('cohort: warning: not captured\n');
      process.stderr.write(Buffer.from('to stderr\n'));
      process.stdout.write('tail without newline');
    } finally {
      capture.stop();
    }
    expect(process.stdout.write).toBe(before);
    expect(out).toEqual([
      { timestamp: expect.any(Number), stream: 'stdout', lines: ['first line', 'second half', 'tail without newline'], label: 'rank 2' },
      { timestamp: expect.any(Number), stream: 'stderr', lines: ['to stderr'], label: 'rank 2' },
    ]);
  });

  it('does not recurse when handling a line writes to stderr', () => {
    let calls = 0;
    const capture = new ConsoleCapture({
      label: '',
      append: () => {
        calls++;
        process.stderr.write('written while appending\n');
      },
      intervalMs: 60_000,
    });
    capture.start();
    try {
      process.stderr.write('one\n');
      capture.flush();
      capture.flush();
    } finally {
      capture.stop();
    }
    // The write made inside append() is outside a listener, so it is captured once, then flushed by stop().
    expect(calls).toBeLessThanOrEqual(3);
  });
});
