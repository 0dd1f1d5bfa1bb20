import { describe, expect, it } from 'vitest';
import { terminalProgress } from './terminal-progress.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('terminalProgress', () => {
  it('draws nothing off a terminal', () => {
    expect(terminalProgress({ write: () => true }, () => 'x')).toBeUndefined();
    expect(terminalProgress({ write: () => true, isTTY: false }, () => 'x')).toBeUndefined();
  });

  it('waits afterMs, redraws at most every everyMs but always the last step, and clears what it drew', async () => {
    let screen = '';
    const line = terminalProgress({ write: (t: string) => (screen += t), isTTY: true }, (d, t) => `copying ${d} of ${t}`, { afterMs: 100, everyMs: 1000 })!;
    line.update(1, 10);
    expect(screen).toBe('');
    await sleep(120);
    line.update(2, 10);
    line.update(3, 10);
    line.update(10, 10);
    expect(screen).toBe('\r\x1b[Kcopying 2 of 10 (20%)\r\x1b[Kcopying 10 of 10 (100%)');
    line.clear();
    expect(screen.endsWith('(100%)\r\x1b[K')).toBe(true);
    line.clear();
    expect(screen.match(/\r\x1b\[K/g)).toHaveLength(3);
  });

  it('erases nothing when the work was short', () => {
    let screen = '';
    const line = terminalProgress({ write: (t: string) => (screen += t), isTTY: true }, () => 'x')!;
    line.update(5, 5);
    line.clear();
    expect(screen).toBe('');
  });
});
