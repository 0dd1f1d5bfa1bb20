import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Engine, type GroupCheckReport } from '@cohort/engine';
import { openSqliteStore } from '@cohort/store';
import { groupChecksTask } from './group-checks-task.js';
import { startLocalTasks } from './scheduled-tasks.js';

const log = pino({ level: 'silent' });

describe('groupChecksTask', () => {
  it('checks groups on its interval until the tasks close', async () => {
    await using engine = new Engine(openSqliteStore(':memory:'));
    const reports: GroupCheckReport[] = [];
    const tasks = startLocalTasks([groupChecksTask({ engine, intervalMs: 20, log, onReport: (r) => reports.push(r) })], log);
    await new Promise((r) => setTimeout(r, 150));
    await tasks.close();
    const seen = reports.length;
    expect(seen).toBeGreaterThan(1);
    expect(reports[0]).toEqual({ groups: 0, stragglers: [], recovered: [], stalled: [], unstalled: [] });
    await new Promise((r) => setTimeout(r, 60));
    expect(reports.length).toBe(seen);
  });

  it('names a bad threshold', async () => {
    await using engine = new Engine(openSqliteStore(':memory:'));
    expect(() => groupChecksTask({ engine, intervalMs: 20, log, thresholds: { stallSeconds: -1 } })).toThrow(
      'Expected `stallSeconds` to be a number above 0, got `-1` (number)',
    );
  });
});
