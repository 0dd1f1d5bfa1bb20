import { describe, expect, it } from 'vitest';
import { Engine } from '@cohort/engine';
import { openSqliteStore } from '@cohort/store';
import { startGroupChecks } from './housekeeping.js';
import type { GroupCheckReport } from '@cohort/engine';

describe('startGroupChecks', () => {
  it('checks on its interval until closed', async () => {
    await using engine = new Engine(openSqliteStore(':memory:'));
    const reports: GroupCheckReport[] = [];
    const checks = startGroupChecks(engine, { intervalMs: 20, onReport: (r) => reports.push(r) });
    await new Promise((r) => setTimeout(r, 120));
    await checks.close();
    await checks.close();
    const seen = reports.length;
    expect(seen).toBeGreaterThan(1);
    expect(reports[0]).toEqual({ groups: 0, stragglers: [], recovered: [], stalled: [], unstalled: [] });
    await new Promise((r) => setTimeout(r, 60));
    expect(reports.length).toBe(seen);
  });

  it('names a bad option', async () => {
    await using engine = new Engine(openSqliteStore(':memory:'));
    expect(() => startGroupChecks(engine, { intervalMs: 0 })).toThrow('Expected `intervalMs` to be a number from 10 and up, got `0` (number)');
    expect(() => startGroupChecks(engine, { stallSeconds: -1 })).toThrow('Expected `stallSeconds` to be a number above 0, got `-1` (number)');
  });
});
