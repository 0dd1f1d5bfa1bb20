// Types of bench/scaling-sim.mjs, for test/unit/scaling-sim.test.ts (the bench runs compile-free).

export interface Target {
  ranks: number;
  pointsPerRank: number;
  keysPerStep: number;
  flushMs: number;
  gatherMs: number;
  maxJobBatches: number;
}
export interface Shape {
  headroom: number;
  pgCoresPerNode: number;
}
export interface Deployment {
  coordinators: number;
  workers: number;
  redisShards: number;
  pgCores: number;
}
export interface GroupCost {
  unit: 'batch' | 'applied' | 'job';
  perUnit: number;
  perPoint: number;
}
export interface Costs {
  sdk: GroupCost;
  coordinator: GroupCost;
  redis: GroupCost & { callsPerJob: number; netInPerPoint: number; netOutPerPoint: number; memoryPerPoint: number };
  workers: GroupCost;
  postgres: GroupCost & { walPerBatch: number; walPerPoint: number; commitsPerJob: number; bytesPerPointWritten: number; bytesPerPointCompacted: number };
  wirePerPoint: number;
}
export type StageName = 'coordinator' | 'redis' | 'workers' | 'postgres';
export interface Stage {
  name: StageName;
  unit: 'batch' | 'applied' | 'job';
  lambda: number;
  service: number;
  servers: number;
  rho: number;
  wait: number;
  sojourn: number;
  cores: number;
}
export interface Simulation {
  flows: { points: number; batches: number; applied: number; batchesPerJob: number; jobs: number; perCoordinator: number };
  stages: Stage[];
  rtt: number;
  latency: number;
  pointsPerBatch: number;
  pointsPerJob: number;
  saturated: StageName[];
  bottleneck: StageName;
}
export interface Plan {
  target: Target;
  deployment: Deployment & { pgNodes: number };
  sim: Simulation;
  sdkCoresPerRank: number;
  bytes: { sdkToCoordinators: number; toRedis: number; fromRedis: number; pgWal: number };
  redis: { opsPerSec: number; retainedBytes: number };
  postgres: { commitsPerSec: number; pageWritesPerSec: number; diskPerDay: number };
}

export const DEFAULT_TARGET: Readonly<Target>;
export const DEFAULT_SHAPE: Readonly<Shape>;
export function costsFrom(measured: unknown): Costs;
export function mmcWait(lambda: number, s: number, c: number): number;
export function simulate(costs: Costs, target: Target, deployment: Deployment, stretch?: number): Simulation;
export function plan(costs: Costs, target: Target, shape?: Shape): Plan;
export function saturationRanks(costs: Costs, target: Target, deployment: Deployment): { name: StageName; ranks: number }[];
export function oneBox(
  costs: Costs,
  target: Target,
  box: { coordinators: number; workers: number; cores: number },
  load: number,
): { max: number; rho: number; used: Record<'ranks' | StageName, number>; latency: number; sim: Simulation };
