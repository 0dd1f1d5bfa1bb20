import { describe, expect, it } from 'vitest';
import { bucketExtremes, downsample } from './series-query.js';
import { RUN, RecordLog, makeEngine, openRequest } from './testing/fixtures.js';

function ramp(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => i);
}

describe('downsample', () => {
  it('returns every point when there are no more points than buckets', () => {
    const d = downsample(ramp(5), Float64Array.of(5, 4, 3, 2, 1), 5);
    expect(d).toEqual({ x: [0, 1, 2, 3, 4], min: [5, 4, 3, 2, 1], max: [5, 4, 3, 2, 1], last: [5, 4, 3, 2, 1], points: 5, downsampled: false });
  });

  it('keeps a one-step spike in a million points as the max of its bucket', () => {
    const n = 1_000_000;
    const y = new Float64Array(n).fill(1);
    y[123_457] = 1e6;
    y[876_543] = -1e6;
    const d = downsample(ramp(n), y, 1000);
    expect(d.x).toHaveLength(1000);
    expect(d.points).toBe(n);
    expect(Math.max(...d.max)).toBe(1e6);
    expect(Math.min(...d.min)).toBe(-1e6);
    // The spike lands in the bucket of its x; its last value stays the ordinary one.
    const b = d.max.indexOf(1e6);
    expect(d.x[b]! >= 123_457 && d.x[b - 1]! < 123_457).toBe(true);
    expect(d.last[b]).toBe(1);
  });

  it('cuts the x-range into equal buckets, each drawn at the x of its last point', () => {
    const d = downsample(ramp(10), Float64Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 2);
    expect(d).toEqual({ x: [4, 9], min: [0, 5], max: [4, 9], last: [4, 9], points: 10, downsampled: true });
  });

  it('puts the right edge into the last bucket and leaves out empty buckets', () => {
    const x = Float64Array.of(0, 1, 2, 100);
    const d = downsample(x, Float64Array.of(1, 2, 3, 4), 3);
    // Buckets of width 33.3: [0, 1, 2] in the first, none in the second, 100 in the last.
    expect(d.x).toEqual([2, 100]);
    expect(d.min).toEqual([1, 4]);
    expect(d.max).toEqual([3, 4]);
  });

  it('skips NaN and infinite values and counts only finite points', () => {
    const d = downsample(ramp(6), Float64Array.of(1, NaN, Infinity, -Infinity, 2, 3), 2);
    expect(d.points).toBe(3);
    expect(d).toMatchObject({ x: [0, 5], min: [1, 2], max: [1, 3], last: [1, 3], downsampled: true });
  });

  it('handles every x being equal (one bucket) and a single bucket', () => {
    expect(downsample(Float64Array.of(3, 3, 3), Float64Array.of(1, 5, 2), 2)).toMatchObject({ x: [3], min: [1], max: [5], last: [2] });
    expect(downsample(ramp(4), Float64Array.of(4, 1, 9, 2), 1)).toMatchObject({ x: [3], min: [1], max: [9], last: [2] });
  });
});

describe('Engine.series', () => {
  it('downsamples stored metrics over _step, _runtime or a step metric', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    const rows = Array.from({ length: 3000 }, (_, i) => ({ step: i, data: { 'train/loss': i === 1500 ? 99 : 1, epoch: Math.floor(i / 100), label: 'x' }, timestamp: 1000 + i, runtime: i / 10 }));
    await engine.applyBatch(RUN, [log.rows(rows)]);
    const bySteps = await engine.series(RUN, { buckets: 100 });
    expect(Object.keys(bySteps.series).sort()).toEqual(['epoch', 'train/loss']);
    const loss = bySteps.series['train/loss']!;
    expect(loss.x).toHaveLength(100);
    expect(Math.max(...loss.max)).toBe(99);
    expect(loss.points).toBe(3000);

    const byRuntime = await engine.series(RUN, { keys: ['train/loss'], buckets: 10, xAxis: '_runtime' });
    expect(byRuntime.series['train/loss']!.x.at(-1)).toBeCloseTo(299.9);
    const byEpoch = await engine.series(RUN, { keys: ['train/loss'], buckets: 1000, xAxis: 'epoch' });
    expect(byEpoch.series['train/loss']!.x).toHaveLength(30);

    const ranged = await engine.series(RUN, { keys: ['train/loss'], minStep: 10, maxStep: 19 });
    expect(ranged.series['train/loss']).toMatchObject({ x: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], downsampled: false });
    expect((await engine.series(RUN, { keys: ['nope'] })).series).toEqual({});
  });

  it('refuses bad options naming the field', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    await expect(engine.series(RUN, { buckets: 0 })).rejects.toThrow('series.buckets: expected an integer from 1 to 100000, got 0');
    await expect(engine.series(RUN, { minStep: 5, maxStep: 1 })).rejects.toThrow('series.minStep: 5 is above maxStep 1');
    await expect(engine.series({ ...RUN, runId: 'nope' })).rejects.toThrow(/no run/);
  });
});

describe('bucketExtremes', () => {
  it('names the points of each bucket\'s min, max and last, first of ties', () => {
    expect(bucketExtremes(ramp(6), Float64Array.of(3, 1, 1, 7, 7, 2), 2)).toEqual({ min: [1, 5], max: [0, 3], last: [2, 5], points: 6, downsampled: true });
  });

  it('keeps every point up to `wholeUpTo`, and buckets values without numbers by their last point', () => {
    expect(bucketExtremes(ramp(5), Float64Array.of(1, 2, NaN, 4, 5), 2, 4)).toMatchObject({ min: [0, 1, 3, 4], points: 4, downsampled: false });
    expect(bucketExtremes(Float64Array.of(0, 1, NaN, 3), undefined, 2)).toEqual({ min: [1, 3], max: [1, 3], last: [1, 3], points: 3, downsampled: true });
  });
});
