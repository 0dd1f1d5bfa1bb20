import { describe, expect, it } from 'vitest';
import { DEFAULT_SHAPE, DEFAULT_TARGET, costsFrom, mmcWait, oneBox, plan, saturationRanks, simulate, type Costs } from '../../bench/scaling-sim.mjs';

// The load simulation's arithmetic (bench/scaling-sim.mjs), on made-up costs: the figures docs/scaling.md
// quotes come from bench/stage-costs.json, these only check what the model does with any figures.
const costs: Costs = {
  sdk: { unit: 'batch', perUnit: 100e-6, perPoint: 1e-6 },
  coordinator: { unit: 'batch', perUnit: 100e-6, perPoint: 1e-6 },
  redis: { unit: 'job', perUnit: 500e-6, perPoint: 0, callsPerJob: 10, netInPerPoint: 15, netOutPerPoint: 15, memoryPerPoint: 18 },
  workers: { unit: 'batch', perUnit: 400e-6, perPoint: 2e-6 },
  postgres: { unit: 'job', perUnit: 1e-3, perPoint: 0.3e-6, walPerBatch: 0, walPerPoint: 20, commitsPerJob: 1, bytesPerPointWritten: 16, bytesPerPointCompacted: 13 },
  wirePerPoint: 10,
};
const target = { ...DEFAULT_TARGET, ranks: 100 };
const stageOf = (sim: ReturnType<typeof simulate>, name: string) => sim.stages.find((s) => s.name === name)!;

describe('scaling simulation', () => {
  it('computes M/M/c queue waits by Erlang C, infinite at saturation', () => {
    expect(mmcWait(0.5, 1, 1)).toBeCloseTo(1, 10); // M/M/1: ρ s / (1 − ρ)
    expect(mmcWait(1, 1, 2)).toBeCloseTo(1 / 3, 10); // M/M/2 at ρ = 0.5
    expect(mmcWait(0, 1, 1)).toBe(0);
    expect(mmcWait(2, 1, 2)).toBe(Infinity);
  });

  it('halves the workers’ utilisation when the workers double, and leaves the other stages alone', () => {
    const two = simulate(costs, target, { coordinators: 1, workers: 2, redisShards: 1, pgCores: 4 });
    const four = simulate(costs, target, { coordinators: 1, workers: 4, redisShards: 1, pgCores: 4 });
    expect(stageOf(four, 'workers').rho).toBeCloseTo(stageOf(two, 'workers').rho / 2, 10);
    expect(stageOf(four, 'postgres').rho).toBeCloseTo(stageOf(two, 'postgres').rho, 10);
    expect(stageOf(four, 'workers').wait).toBeLessThan(stageOf(two, 'workers').wait);
  });

  it('turns points into batches (a flush per rank per window) and batches into gathered jobs', () => {
    const sim = simulate(costs, target, { coordinators: 1, workers: 8, redisShards: 1, pgCores: 8 });
    expect(sim.flows.points).toBe(100_000);
    expect(sim.flows.batches).toBe(500); // 100 ranks × 5 flushes/s
    expect(sim.pointsPerBatch).toBe(200);
    expect(sim.flows.batchesPerJob).toBeCloseTo(1 + 500 * 0.005, 10);
    const many = simulate(costs, { ...target, ranks: 10_000 }, { coordinators: 1, workers: 1000, redisShards: 10, pgCores: 1000 });
    expect(many.flows.batchesPerJob).toBe(16);
  });

  it('names the saturated stage and its wait as infinite', () => {
    const sim = simulate(costs, { ...target, ranks: 2000 }, { coordinators: 10, workers: 1, redisShards: 4, pgCores: 16 });
    expect(sim.saturated).toEqual(['workers']);
    expect(sim.bottleneck).toBe('workers');
    expect(stageOf(sim, 'workers').wait).toBe(Infinity);
  });

  it('sizes each stage to stay within the headroom, and finds the order stages break in', () => {
    const p = plan(costs, { ...target, ranks: 10_000 }, DEFAULT_SHAPE);
    for (const s of p.sim.stages) expect(s.rho).toBeLessThanOrEqual(DEFAULT_SHAPE.headroom + 1e-9);
    expect(p.sim.saturated).toEqual([]);
    expect(p.deployment.pgNodes).toBe(Math.ceil(p.deployment.pgCores / DEFAULT_SHAPE.pgCoresPerNode));
    const order = saturationRanks(costs, target, { coordinators: 1, workers: 1, redisShards: 1, pgCores: 1 });
    expect(order[0]!.name).toBe('workers');
    const w = order[0]!.ranks;
    expect(simulate(costs, { ...target, ranks: w }, { coordinators: 1, workers: 1, redisShards: 1, pgCores: 1 }).saturated).toContain('workers');
    expect(simulate(costs, { ...target, ranks: w - 1 }, { coordinators: 1, workers: 1, redisShards: 1, pgCores: 1 }).saturated).not.toContain('workers');
  });

  it('puts one box at full use at its max, and its latency grows with the load', () => {
    const box = { coordinators: 1, workers: 2, cores: 2 };
    const t = { ...target, ranks: 64 };
    const half = oneBox(costs, t, box, 50_000);
    const more = oneBox(costs, t, box, 100_000);
    expect(half.max).toBe(more.max);
    expect(oneBox(costs, t, box, half.max * 0.999).rho).toBeCloseTo(0.999, 2);
    expect(more.latency).toBeGreaterThan(half.latency);
  });

  it('reads stage-costs JSON, falling back to the first phase’s cost per point where a fit is negative', () => {
    const group = (perUnitUs: number, perPointUs: number, unit = 'job') => ({ unit, perUnitUs, perPointUs });
    const c = costsFrom({
      fit: { ranks: group(100, 1, 'batch'), coordinator: group(-5, 2, 'batch'), redis: group(500, 0.1), workers: group(300, 2, 'batch'), postgres: group(1000, 0.2) },
      perPointUs: { ranks: [1], coordinator: [2.5], redis: [0.2], workers: [3], postgres: [0.4] },
      redis: { callsPerJob: [10], netInBytesPerPoint: [15], netOutBytesPerPoint: [15], memoryPerRetainedPoint: 18 },
      postgres: { walFit: { perUnit: 100, perPoint: 20 }, walBytesPerPoint: [21], commitsPerJob: [1], bytesPerPointWritten: 16, bytesPerPointCompacted: 13 },
      sdk: { walBytesPerPoint: 10 },
    });
    expect(c.coordinator).toEqual({ unit: 'batch', perUnit: 0, perPoint: 2.5e-6 });
    expect(c.workers).toEqual({ unit: 'batch', perUnit: 300e-6, perPoint: 2e-6 });
    expect(c.redis.memoryPerPoint).toBe(18);
    expect(c.postgres.walPerBatch).toBe(100);
  });
});
