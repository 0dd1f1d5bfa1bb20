import { describe, expect, it } from 'vitest';
import { CohortError } from '../errors.js';
import { mergeMetricDefinition, parseMetricDefinition, parseSummary, toMetric } from './metric-definition.js';

const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

describe('parseMetricDefinition', () => {
  it('returns a normalized definition record', () => {
    expect(parseMetricDefinition('val/*', { summary: 'min,MAX', goal: 'Maximize', hidden: true })).toEqual({
      name: 'val/*',
      stepMetric: '',
      stepSync: false,
      hidden: true,
      summary: 'min,max',
      goal: 'maximize',
      overwrite: false,
    });
  });

  it('rejects an empty name', () => {
    expect(() => parseMetricDefinition('')).toThrow(CohortError);
    expect(() => parseMetricDefinition('')).toThrow(/non-empty/);
  });

  it.each([
    ['a number name', () => parseMetricDefinition(5)],
    ['an undefined name', () => parseMetricDefinition(undefined)],
    ['a numeric stepMetric', () => parseMetricDefinition('a', { stepMetric: 1 })],
    ['a string stepSync', () => parseMetricDefinition('a', { stepSync: 'yes' })],
    ['a string hidden', () => parseMetricDefinition('a', { hidden: 'no' })],
    ['an array summary', () => parseMetricDefinition('a', { summary: ['min'] })],
    ['a boolean goal', () => parseMetricDefinition('a', { goal: true })],
    ['a numeric overwrite', () => parseMetricDefinition('a', { overwrite: 1 })],
    ['options that are not an object', () => parseMetricDefinition('a', 'min')],
  ])('rejects %s with INVALID_ARGUMENT', (_name, call) => {
    expect(call).toThrow(invalid);
  });

  it('names the option of the wrong type', () => {
    expect(() => parseMetricDefinition('a', { stepSync: 'yes' })).toThrow('Expected `stepSync` of defineMetric to be a boolean, got `"yes"` (string)');
  });

  it('rejects an unknown option naming it', () => {
    expect(() => parseMetricDefinition('a', { step_metric: 'x' })).toThrow(/Unknown defineMetric option `step_metric`/);
  });

  it.each(['*x', 'a**', 'a*b', '**'])('rejects "*" anywhere but last in %s', (name) => {
    expect(() => parseMetricDefinition(name)).toThrow(invalid);
    expect(() => parseMetricDefinition(name)).toThrow(/"\*" only as its last character/);
  });

  it.each(['*', 'train/*', 'a.b*'])('accepts the glob %s', (name) => {
    expect(parseMetricDefinition(name).name).toBe(name);
  });

  it('rejects a glob as a step metric', () => {
    expect(() => parseMetricDefinition('a', { stepMetric: 'x*' })).toThrow(invalid);
  });

  it('lower-cases summary parts without trimming them', () => {
    expect(parseMetricDefinition('a', { summary: 'MIN,Max,mEaN' }).summary).toBe('min,max,mean');
    expect(() => parseMetricDefinition('a', { summary: 'min, max' })).toThrow(/got `" max"`/);
  });

  it.each(['min', 'max', 'mean', 'first', 'last', 'best', 'copy', 'none'])('accepts the summary option %s', (s) => {
    expect(parseMetricDefinition('a', { summary: s }).summary).toBe(s);
  });

  it('rejects an unknown summary part and an empty part', () => {
    expect(() => parseMetricDefinition('a', { summary: 'median' })).toThrow(invalid);
    expect(() => parseMetricDefinition('a', { summary: 'min,' })).toThrow(invalid);
  });

  it('takes an empty summary as none given', () => {
    expect(parseMetricDefinition('a', { summary: '' }).summary).toBe('');
  });

  it.each([
    ['min', 'minimize'],
    ['MINIMIZE', 'minimize'],
    ['Maximize', 'maximize'],
    ['maxwell', 'maximize'],
    ['minus', 'minimize'],
  ])('normalizes the goal %s by its first three letters', (goal, expected) => {
    expect(parseMetricDefinition('a', { goal }).goal).toBe(expected);
  });

  it('rejects a goal that starts with neither min nor max', () => {
    expect(() => parseMetricDefinition('a', { goal: 'up' })).toThrow(/Expected `goal` to start with "min" or "max"/);
    expect(() => parseMetricDefinition('a', { goal: 'mi' })).toThrow(invalid);
  });

  it('defaults stepSync to true when a stepMetric is set', () => {
    expect(parseMetricDefinition('a', { stepMetric: 'epoch' }).stepSync).toBe(true);
    expect(parseMetricDefinition('a', { stepMetric: 'epoch', stepSync: false }).stepSync).toBe(false);
    expect(parseMetricDefinition('a').stepSync).toBe(false);
  });

  it('ignores options given as undefined', () => {
    expect(parseMetricDefinition('a', { summary: undefined, goal: undefined })).toEqual(parseMetricDefinition('a'));
  });
});

describe('parseSummary', () => {
  it('de-duplicates parts', () => {
    expect(parseSummary('min,MIN,max')).toEqual(['min', 'max']);
  });
});

describe('mergeMetricDefinition', () => {
  const d = parseMetricDefinition;

  it('takes the new definition when there is no earlier one', () => {
    expect(mergeMetricDefinition(undefined, d('a', { summary: 'min' }))).toEqual(d('a', { summary: 'min' }));
  });

  it('ORs stepSync and hidden', () => {
    const merged = mergeMetricDefinition(d('a', { stepMetric: 's', hidden: true }), d('a', { stepSync: false }));
    expect(merged.stepSync).toBe(true);
    expect(merged.hidden).toBe(true);
  });

  it('replaces stepMetric and goal only when given', () => {
    const prev = d('a', { stepMetric: 's', goal: 'max' });
    expect(mergeMetricDefinition(prev, d('a'))).toMatchObject({ stepMetric: 's', goal: 'maximize' });
    expect(mergeMetricDefinition(prev, d('a', { stepMetric: 't', goal: 'min' }))).toMatchObject({ stepMetric: 't', goal: 'minimize' });
  });

  it('ORs summary flags: min then max tracks both', () => {
    expect(mergeMetricDefinition(d('a', { summary: 'min' }), d('a', { summary: 'max' })).summary).toBe('min,max');
  });

  it('replaces none: a later definition without none clears it', () => {
    expect(mergeMetricDefinition(d('a', { summary: 'none' }), d('a', { summary: 'min' })).summary).toBe('min');
    expect(mergeMetricDefinition(d('a', { summary: 'min' }), d('a', { summary: 'none' })).summary).toBe('min,none');
  });

  it('starts from empty with overwrite', () => {
    const merged = mergeMetricDefinition(d('a', { summary: 'min', hidden: true, stepMetric: 's' }), d('a', { summary: 'max', overwrite: true }));
    expect(merged).toEqual({ ...d('a', { summary: 'max' }), overwrite: false });
  });
});

describe('toMetric', () => {
  it('describes a definition for users', () => {
    const metric = toMetric(parseMetricDefinition('acc', { stepMetric: 'epoch', summary: 'max,best', goal: 'max' }));
    expect(metric).toEqual({ name: 'acc', stepMetric: 'epoch', stepSync: true, hidden: false, summary: ['max', 'best'], goal: 'maximize' });
    expect(toMetric(parseMetricDefinition('x'))).toMatchObject({ stepMetric: undefined, goal: undefined, summary: [] });
  });
});
