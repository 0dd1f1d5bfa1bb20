import { describe, expect, it } from 'vitest';
import type { MetricView } from './api.js';
import { defaultXAxis, definitionOf, isHidden, keysByXAxis } from './metric-defs.js';

const def = (name: string, stepMetric = '', hidden = false): MetricView => ({ name, stepMetric, hidden, summary: '', goal: '' });
const METRICS = [def('val/*', 'epoch'), def('val/debug/*', '', true), def('val/acc', 'val_step'), def('epoch', '', true)];

describe('defineMetric for charts', () => {
  it('prefers an exact name, then the longest glob', () => {
    expect(definitionOf('val/acc', METRICS)?.name).toBe('val/acc');
    expect(definitionOf('val/debug/x', METRICS)?.name).toBe('val/debug/*');
    expect(definitionOf('val/loss', METRICS)?.name).toBe('val/*');
    expect(definitionOf('train/loss', METRICS)).toBeUndefined();
  });
  it('hides and picks the default x-axis', () => {
    expect([isHidden('epoch', METRICS), isHidden('val/debug/x', METRICS), isHidden('val/loss', METRICS)]).toEqual([true, true, false]);
    expect([defaultXAxis('val/loss', METRICS), defaultXAxis('val/acc', METRICS), defaultXAxis('train/loss', METRICS)]).toEqual(['epoch', 'val_step', '_step']);
    expect([...keysByXAxis(['train/loss', 'val/loss', 'val/acc'], '', METRICS)]).toEqual([['_step', ['train/loss']], ['epoch', ['val/loss']], ['val_step', ['val/acc']]]);
    expect([...keysByXAxis(['train/loss', 'val/loss'], '_runtime', METRICS)]).toEqual([['_runtime', ['train/loss', 'val/loss']]]);
  });
});
