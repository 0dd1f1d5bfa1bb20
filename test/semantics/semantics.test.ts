import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CohortError, ConfigError, init, UsageError, type DefineMetricOptions, type Run } from '@cohort/sdk';

/**
 * The Run-semantics cases of test/semantics/cases.json against the TypeScript
 * SDK; clients/python/tests/test_semantics.py runs the same file against the
 * Python client, so the two cannot drift (docs/python.md).
 */
interface Call {
  readonly log?: { data: unknown; step?: number; commit?: unknown };
  readonly define_metric?: { name: string; options?: Record<string, unknown> };
  readonly summary_set?: { key: string; value: unknown };
  readonly summary_update?: { values: Record<string, unknown> };
  readonly summary_delete?: { key: string };
  readonly config_update?: { values: Record<string, unknown>; allow_val_change?: boolean };
  readonly config_setdefaults?: { values: Record<string, unknown> };
  readonly finish?: { exit_code?: number };
  readonly expect?: {
    step?: number;
    summary?: Record<string, unknown>;
    summary_has?: string[];
    summary_lacks?: string[];
    config?: Record<string, unknown>;
  };
  readonly raises?: 'TypeError' | 'ValueError' | 'UsageError' | 'ConfigError';
}
interface Case {
  readonly name: string;
  readonly section: string;
  readonly calls: readonly Call[];
}

const cases = (JSON.parse(await readFile(join(import.meta.dirname, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;

const CAMEL: Record<string, string> = { step_metric: 'stepMetric', step_sync: 'stepSync' };

function camel(options: Record<string, unknown> | undefined): DefineMetricOptions | undefined {
  if (options === undefined) return undefined;
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [CAMEL[k] ?? k, v])) as DefineMetricOptions;
}

function isError(err: unknown, kind: NonNullable<Call['raises']>): boolean {
  switch (kind) {
    case 'TypeError':
      return err instanceof TypeError;
    case 'UsageError':
      return err instanceof UsageError;
    case 'ConfigError':
      return err instanceof ConfigError;
    case 'ValueError':
      return err instanceof CohortError && err.code === 'INVALID_ARGUMENT' && !(err instanceof ConfigError);
  }
}

async function make(run: Run, call: Call): Promise<void> {
  if (call.log) {
    const { data, step, commit } = call.log;
    const options = { ...(step !== undefined && { step }), ...(commit !== undefined && { commit: commit as boolean }) };
    run.log(data as Record<string, unknown>, options);
  } else if (call.define_metric) run.defineMetric(call.define_metric.name, camel(call.define_metric.options));
  else if (call.summary_set) run.summary.set(call.summary_set.key, call.summary_set.value);
  else if (call.summary_update) run.summary.update(call.summary_update.values);
  else if (call.summary_delete) run.summary.delete(call.summary_delete.key);
  else if (call.config_update) run.config.update(call.config_update.values, { allowValChange: call.config_update.allow_val_change ?? false });
  else if (call.config_setdefaults) run.config.setDefaults(call.config_setdefaults.values);
  else if (call.finish) await run.finish(call.finish.exit_code ?? 0);
  else throw new Error(`cases.json: a call with no known operation: ${JSON.stringify(call)}`);
}

function summaryOf(run: Run): Record<string, unknown> {
  const { _runtime, _timestamp, ...rest } = run.summary.toJSON();
  void _runtime;
  void _timestamp;
  return rest;
}

describe('Run semantics (test/semantics/cases.json) in the TypeScript SDK', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-semantics-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has cases of every section', () => {
    expect(new Set(cases.map((c) => c.section))).toEqual(new Set(['§1', '§2', '§3', '§4']));
  });

  for (const c of cases) {
    it(`${c.section} ${c.name}`, async () => {
      const run = await init({ mode: 'offline', project: 'semantics', dir, reinit: 'create_new', settings: { silent: true, handleSigterm: false, console: 'off' } });
      try {
        for (const call of c.calls) {
          if (call.expect) {
            const e = call.expect;
            if (e.step !== undefined) expect(run.step).toBe(e.step);
            if (e.summary !== undefined) expect(summaryOf(run)).toEqual(e.summary);
            for (const key of e.summary_has ?? []) expect(run.summary.keys()).toContain(key);
            for (const key of e.summary_lacks ?? []) expect(run.summary.keys()).not.toContain(key);
            if (e.config !== undefined) expect(run.config.toJSON()).toEqual(e.config);
            continue;
          }
          if (call.raises === undefined) {
            await make(run, call);
            continue;
          }
          const err = await make(run, call).then(
            () => undefined,
            (thrown: unknown) => thrown,
          );
          expect(err, `${JSON.stringify(call)} should raise ${call.raises}`).toBeDefined();
          expect(isError(err, call.raises), `${JSON.stringify(call)} raised ${String(err)}, not a ${call.raises}`).toBe(true);
        }
      } finally {
        await run.finish(0);
      }
    });
  }
});
