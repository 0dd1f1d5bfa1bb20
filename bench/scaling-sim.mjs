// The load simulation behind docs/scaling.md ("From one box to a fleet"):
// the per-stage costs measured by bench/stage-costs.mjs (its --json output;
// bench/stage-costs.json is the figures of the machine the doc names), scaled
// to a target load, with each stage a queue (M/M/c, Erlang C) fed by the
// batches and jobs the target makes:
//
//   ranks × points/s ─▶ gRPC batches (a flush per rank per flushMs)
//     ─▶ coordinators (one core each; a stream stays on its coordinator: N × M/M/1)
//     ─▶ jobs (a coordinator gathers batches for gatherMs, at most maxJobBatches)
//     ─▶ Redis shards (single-threaded; runs hashed to shards: N × M/M/1)
//     ─▶ workers (one core each, pooled per shard: M/M/c)
//     ─▶ PostgreSQL (the cores of its nodes: M/M/c)
//
// A stage's service time is the CPU it was measured to take per unit (batch
// or job) plus per point; its wall time is that on a core of its own. The
// model assumes Poisson arrivals and exponential service times: a queue near
// saturation is longer than that of the real, more regular, flushes, so its
// latency reads high, never low.
//
//   node bench/scaling-sim.mjs [--costs FILE] [--ranks 100,1000,10000] [--points-per-rank 1000] [--keys 20]
//        [--flush-ms 200] [--headroom 0.6] [--pg-cores-per-node 16]
//   node bench/scaling-sim.mjs --validate [--costs FILE] [--ranks 64] [--workers 2] [--cores 2] [--load N] [--seen P,B,J]
//        [--measured-max N] [--measured-p50 MS] [--measured-cpu ranks=P,coordinator=P,workers=P,redis=P,postgres=P]
//        the fan-in bench's shape on one box: every stage, the ranks included, sharing `cores`
import { readFileSync } from 'node:fs';
import { fmt, printTable } from './lib.mjs';

/** A target load and the SDK's and coordinator's batching (their defaults). */
export const DEFAULT_TARGET = Object.freeze({ ranks: 10_000, pointsPerRank: 1_000, keysPerStep: 20, flushMs: 200, gatherMs: 5, maxJobBatches: 16 });

/** How deployments are sized: the utilisation each instance is planned for, and the cores of a PostgreSQL node. */
export const DEFAULT_SHAPE = Object.freeze({ headroom: 0.6, pgCoresPerNode: 16 });

/** Completed jobs BullMQ keeps per queue for deduplication (docs/scaled-mode.md). */
const RETAINED_JOBS = 1000;
const PAGE = 8192;

/**
 * The simulation's view of bench/stage-costs.mjs's figures: per group, CPU
 * seconds per unit (a batch or a job) and per point. A fit of the two phases
 * that comes out negative (noise on a busy machine) is replaced by the first
 * phase's CPU per point (the phase at 1,000 points/s per rank), nothing per unit.
 */
export function costsFrom(measured) {
  const group = (name) => {
    const f = measured.fit[name];
    if (f.perUnitUs >= 0 && f.perPointUs >= 0) return { unit: f.unit, perUnit: f.perUnitUs / 1e6, perPoint: f.perPointUs / 1e6 };
    return { unit: f.unit, perUnit: 0, perPoint: measured.perPointUs[name][0] / 1e6 };
  };
  const wal = measured.postgres.walFit;
  return {
    sdk: group('ranks'),
    coordinator: group('coordinator'),
    redis: {
      ...group('redis'),
      callsPerJob: measured.redis.callsPerJob[0],
      netInPerPoint: measured.redis.netInBytesPerPoint[0],
      netOutPerPoint: measured.redis.netOutBytesPerPoint[0],
      memoryPerPoint: measured.redis.memoryPerRetainedPoint,
    },
    workers: group('workers'),
    postgres: {
      ...group('postgres'),
      walPerBatch: wal.perUnit >= 0 && wal.perPoint >= 0 ? wal.perUnit : 0,
      walPerPoint: wal.perUnit >= 0 && wal.perPoint >= 0 ? wal.perPoint : measured.postgres.walBytesPerPoint[0],
      commitsPerJob: measured.postgres.commitsPerJob[0],
      bytesPerPointWritten: measured.postgres.bytesPerPointWritten,
      bytesPerPointCompacted: measured.postgres.bytesPerPointCompacted,
    },
    wirePerPoint: measured.sdk.walBytesPerPoint,
  };
}

/** Erlang C: the mean wait in queue of an M/M/c with arrival rate `lambda` and service time `s` (seconds); Infinity at or past saturation. */
export function mmcWait(lambda, s, c) {
  if (lambda <= 0 || s <= 0) return 0;
  const a = lambda * s;
  const rho = a / c;
  if (rho >= 1) return Infinity;
  // Sum of a^k / k! for k < c, and a^c / c!, computed term by term (no factorial overflow).
  let term = 1;
  let sum = 0;
  for (let k = 0; k < c; k++) {
    sum += term;
    term *= a / (k + 1);
  }
  const top = term / (1 - rho);
  const pWait = top / (sum + top);
  return (pWait * s) / (c - a);
}

/** One stage as a queue: `lambda` units/s over `servers` (`split`: runs hashed to separate servers, else one pooled queue). */
function stage(name, unit, lambda, s, servers, split) {
  const rho = (lambda * s) / servers;
  const wait = split ? mmcWait(lambda / servers, s, 1) : mmcWait(lambda, s, servers);
  return { name, unit, lambda, service: s, servers, rho, wait, sojourn: wait + s, cores: lambda * s };
}

/** Received batches/s, applied batches/s and jobs/s of a load, with `coordinators` and a run's queue round trip `rtt` (s). */
function flows(target, coordinators, rtt) {
  const points = target.ranks * target.pointsPerRank;
  // Batching as a bench measured it (the one-box check): batches and jobs in proportion to the points.
  const seen = target.observed;
  if (seen) {
    const jobs = points / seen.pointsPerJob;
    const batchesPerJob = Math.min(target.maxJobBatches, seen.pointsPerJob / seen.pointsPerBatch);
    return { points, batches: points / seen.pointsPerBatch, applied: jobs * batchesPerJob, batchesPerJob, jobs, perCoordinator: points / seen.pointsPerBatch / coordinators };
  }
  const stepsPerRank = target.pointsPerRank / target.keysPerStep;
  // A flush per window while a step falls in it.
  const batchesPerRank = Math.min(stepsPerRank, 1000 / target.flushMs);
  // One batch of a run in flight: what arrives meanwhile goes as one batch.
  const appliedPerRank = Math.min(batchesPerRank, 1 / Math.max(rtt, 1e-9));
  const applied = target.ranks * appliedPerRank;
  const perCoordinator = applied / coordinators;
  // Runs that wait on their previous job (round trip past a flush window) are released together by its completion
  // and gathered into full jobs; otherwise a job takes what arrives within gatherMs.
  const released = rtt >= target.flushMs / 1000 ? Math.min(target.maxJobBatches, target.ranks / coordinators) : 1;
  const batchesPerJob = Math.min(target.maxJobBatches, Math.max(released, 1 + (perCoordinator * target.gatherMs) / 1000));
  return { points, batches: target.ranks * batchesPerRank, applied, batchesPerJob, jobs: applied / batchesPerJob, perCoordinator };
}

/**
 * CPU seconds of each stage's unit of work for flows `f`: a batch sent for the
 * coordinator, a job for the rest (a group whose cost is per batch, sent or
 * applied, pays it for each of the job's).
 */
function serviceTimes(costs, f) {
  const pointsPerBatch = f.points / f.batches;
  const pointsPerJob = f.points / f.jobs;
  const unitsPerJob = { batch: f.batches / f.jobs, applied: f.batchesPerJob, job: 1 };
  const perJob = (c) => c.perUnit * unitsPerJob[c.unit] + c.perPoint * pointsPerJob;
  return {
    pointsPerBatch,
    pointsPerJob,
    coordinator: costs.coordinator.perUnit + costs.coordinator.perPoint * pointsPerBatch,
    redis: perJob(costs.redis),
    workers: perJob(costs.workers),
    postgres: perJob(costs.postgres),
  };
}

/**
 * The stages of a load on a deployment ({ coordinators, workers, redisShards,
 * pgCores }), and the latency from log() to committed: half a flush window,
 * the wait behind the run's previous job, the coordinator, the gathering, and
 * each stage's queue and service (the job's completion travels back through
 * Redis). `stretch` multiplies every service time (a box whose cores every
 * stage shares: 1 / (1 − its utilisation)).
 */
export function simulate(costs, target, deployment, stretch = 1) {
  let rtt = 0;
  let out;
  // The round trip sets how many batches of a run coalesce, which sets the jobs, which set the round trip: a few rounds settle it.
  for (let round = 0; round < 8; round++) {
    const f = flows(target, deployment.coordinators, rtt);
    const s = serviceTimes(costs, f);
    const { pointsPerBatch, pointsPerJob } = s;
    const stages = [
      stage('coordinator', 'batch', f.batches, s.coordinator * stretch, deployment.coordinators, true),
      stage('redis', 'job', f.jobs, s.redis * stretch, deployment.redisShards, true),
      stage('workers', 'job', f.jobs, s.workers * stretch, deployment.workers, false),
      stage('postgres', 'job', f.jobs, s.postgres * stretch, deployment.pgCores, false),
    ];
    const gather = f.batchesPerJob >= target.maxJobBatches ? target.maxJobBatches / (2 * f.perCoordinator) : target.gatherMs / 2000;
    const [coordinator, redis, workers, postgres] = stages;
    const next = coordinator.sojourn + gather + 2 * redis.sojourn + workers.sojourn + postgres.sojourn;
    const flush = target.flushMs / 1000;
    const behind = Math.min(1, next / flush) * (next / 2);
    out = { flows: f, stages, rtt: next, latency: flush / 2 + behind + next, pointsPerBatch, pointsPerJob };
    if (!Number.isFinite(next) || Math.abs(next - rtt) < 1e-6) break;
    rtt = next;
  }
  const saturated = out.stages.filter((s) => s.rho >= 1).map((s) => s.name);
  const first = out.stages.reduce((a, b) => (b.rho > a.rho ? b : a));
  return { ...out, saturated, bottleneck: first.name };
}

/**
 * Sizes a deployment for a target: each stage gets the instances that keep it
 * at or under `headroom` utilisation (coordinators, workers and Redis shards
 * one core each, PostgreSQL in nodes of `pgCoresPerNode`), then the load is
 * simulated on it. Also answers what the stages move: bytes, Redis commands
 * and memory, PostgreSQL WAL, commits, page writes and disk growth.
 */
export function plan(costs, target, shape = DEFAULT_SHAPE) {
  const need = (cores) => Math.max(1, Math.ceil(cores / shape.headroom - 1e-9));
  // Sized for a round trip within one flush window (no coalescing), the most batches and jobs the load makes.
  const f0 = flows(target, 1, 0);
  const coordinators = need(f0.batches * serviceTimes(costs, f0).coordinator);
  const f = flows(target, coordinators, 0);
  const s = serviceTimes(costs, f);
  const deployment = { coordinators, redisShards: need(f.jobs * s.redis), workers: need(f.jobs * s.workers), pgCores: need(f.jobs * s.postgres) };
  const sim = simulate(costs, target, deployment);
  const j = sim.flows.jobs;
  const p = sim.flows.points;
  return {
    target,
    deployment: { ...deployment, pgNodes: Math.ceil(deployment.pgCores / shape.pgCoresPerNode) },
    sim,
    sdkCoresPerRank: (sim.flows.batches * costs.sdk.perUnit + p * costs.sdk.perPoint) / target.ranks,
    bytes: {
      sdkToCoordinators: p * costs.wirePerPoint,
      toRedis: p * costs.redis.netInPerPoint,
      fromRedis: p * costs.redis.netOutPerPoint,
      pgWal: sim.flows.applied * costs.postgres.walPerBatch + p * costs.postgres.walPerPoint,
    },
    redis: { opsPerSec: j * costs.redis.callsPerJob, retainedBytes: Math.min(RETAINED_JOBS * deployment.redisShards, j * 60) * sim.pointsPerJob * costs.redis.memoryPerPoint },
    postgres: {
      commitsPerSec: j * costs.postgres.commitsPerJob,
      pageWritesPerSec: (sim.flows.applied * costs.postgres.walPerBatch + p * (costs.postgres.walPerPoint + costs.postgres.bytesPerPointWritten)) / PAGE,
      diskPerDay: p * 86_400 * costs.postgres.bytesPerPointCompacted,
    },
  };
}

/**
 * Ranks (at the target's points/s each) at which each stage of a fixed
 * deployment reaches utilisation 1: where it breaks first, in order.
 */
export function saturationRanks(costs, target, deployment) {
  return ['coordinator', 'redis', 'workers', 'postgres']
    .map((name) => {
      const rho = (ranks) => simulate(costs, { ...target, ranks }, deployment).stages.find((s) => s.name === name).rho;
      let lo = 1;
      let hi = 1;
      while (rho(hi) < 1 && hi < 1e8) hi *= 2;
      if (rho(hi) < 1) return { name, ranks: Infinity };
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (rho(mid) < 1) lo = mid;
        else hi = mid;
      }
      return { name, ranks: hi };
    })
    .sort((a, b) => a.ranks - b.ranks);
}

/**
 * The fan-in bench's shape on one box: every stage (the ranks' SDK clients
 * too) shares `cores`. The box is one processor-sharing server: at
 * utilisation ρ each stage's CPU takes 1 / (1 − ρ) of its time in wall time.
 * Answers the most points/s the box commits (ρ = 1) and the latency to
 * committed at `load` points/s, and the cores each part uses there (`used`: the
 * ranks' SDK clients and each stage). A starved box batches more than the model's
 * flush per window (timers fire late, runs wait on their jobs): give the
 * batching a bench saw as `target.observed` ({ pointsPerBatch, pointsPerJob }).
 */
export function oneBox(costs, target, { coordinators, workers, cores }, load) {
  const deployment = { coordinators, workers, redisShards: 1, pgCores: Math.max(1, Math.round(cores)) };
  const use = (pointsPerRank) => {
    const t = { ...target, pointsPerRank };
    const sim = simulate(costs, t, deployment);
    const sdk = sim.flows.batches * costs.sdk.perUnit + sim.flows.points * costs.sdk.perPoint;
    const used = { ranks: sdk, ...Object.fromEntries(sim.stages.map((s) => [s.name, s.cores])) };
    return { sim, used, rho: Object.values(used).reduce((n, c) => n + c, 0) / cores, t };
  };
  let lo = 0;
  let hi = 1;
  while (use(hi).rho < 1) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (use(mid).rho < 1) lo = mid;
    else hi = mid;
  }
  const max = lo * target.ranks;
  const at = use(load / target.ranks);
  if (at.rho >= 1) return { max, rho: at.rho, used: at.used, latency: Infinity, sim: at.sim };
  const stretched = simulate(costs, at.t, deployment, 1 / (1 - at.rho));
  return { max, rho: at.rho, used: at.used, latency: stretched.latency, sim: stretched };
}

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z0-9-]+)$/.exec(argv[i]);
    if (!m) throw new Error(`scaling-sim: unexpected argument ${argv[i]} (flags are --name value)`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[m[1]] = 'true';
    else out[m[1]] = argv[++i];
  }
  return out;
}

const num = (v, name) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`scaling-sim: --${name} must be a positive number, got ${v}`);
  return n;
};
const si = (n, unit) => {
  const [div, p] = n >= 1e12 ? [1e12, 'T'] : n >= 1e9 ? [1e9, 'G'] : n >= 1e6 ? [1e6, 'M'] : n >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${fmt(n / div, n / div < 10 ? 1 : 0)} ${p}${unit}`;
};
const ms = (s) => (Number.isFinite(s) ? fmt(s * 1000, s < 0.01 ? 1 : 0) : '∞ (saturated)');

function printPlans(costs, target, shape, rankCounts) {
  const plans = rankCounts.map((ranks) => plan(costs, { ...target, ranks }, shape));
  const col = (f) => plans.map(f);
  printTable(
    `Load simulation: ${fmt(target.pointsPerRank)} points/s per rank, ${target.keysPerStep} keys per step, a flush every ${target.flushMs} ms, ` +
      `gather ${target.gatherMs} ms / ${target.maxJobBatches} batches; instances sized for ≤ ${fmt(shape.headroom * 100)}% utilisation (one core each; PostgreSQL nodes of ${shape.pgCoresPerNode} cores)`,
    ['', ...plans.map((p) => `${fmt(p.target.ranks)} ranks`)],
    [
      ['points/s', ...col((p) => si(p.sim.flows.points, ''))],
      ['gRPC batches/s (points per batch)', ...col((p) => `${si(p.sim.flows.batches, '')} (${fmt(p.sim.pointsPerBatch)})`)],
      ['jobs/s (batches per job)', ...col((p) => `${si(p.sim.flows.jobs, '')} (${fmt(p.sim.flows.batchesPerJob, 1)})`)],
      ['SDK CPU per rank (training node)', ...col((p) => `${fmt(p.sdkCoresPerRank * 100, 1)}% of a core`)],
      ...Object.entries({ coordinator: 'coordinators', redis: 'Redis shards', workers: 'workers', postgres: 'PostgreSQL cores' }).map(([name, instances]) => [
        `${name}: cores busy → ${instances} (utilisation)`,
        ...col((p) => {
          const s = p.sim.stages.find((x) => x.name === name);
          return `${fmt(s.cores, 2)} → ${fmt(s.servers)} (${fmt(s.rho * 100)}%)`;
        }),
      ]),
      ['PostgreSQL nodes', ...col((p) => fmt(p.deployment.pgNodes))],
      ['network: SDK → coordinators', ...col((p) => si(p.bytes.sdkToCoordinators, 'B/s'))],
      ['network: coordinators → Redis / Redis → out', ...col((p) => `${si(p.bytes.toRedis, 'B/s')} / ${si(p.bytes.fromRedis, 'B/s')}`)],
      ['Redis commands/s, memory of kept jobs', ...col((p) => `${si(p.redis.opsPerSec, '')}, ${si(p.redis.retainedBytes, 'B')}`)],
      ['PostgreSQL WAL, transactions/s (reads included)', ...col((p) => `${si(p.bytes.pgWal, 'B/s')}, ${si(p.postgres.commitsPerSec, '')}`)],
      ['PostgreSQL 8 KiB page writes/s (WAL + heap)', ...col((p) => si(p.postgres.pageWritesPerSec, ''))],
      ['history on disk per day (compacted)', ...col((p) => si(p.postgres.diskPerDay, 'B'))],
      ['queue wait: coordinator / Redis / workers / PostgreSQL ms', ...col((p) => p.sim.stages.map((s) => ms(s.wait)).join(' / '))],
      ['log() → committed, mean ms', ...col((p) => ms(p.sim.latency))],
    ],
  );
  const one = { coordinators: 1, workers: 1, redisShards: 1, pgCores: 1 };
  printTable(
    `Where it breaks first: ranks at ${fmt(target.pointsPerRank)} points/s at which each stage of 1 coordinator, 1 worker, 1 Redis, 1 PostgreSQL core reaches 100%`,
    ['stage', 'ranks', 'points/s'],
    saturationRanks(costs, target, one).map((s) => [s.name, fmt(s.ranks), si(s.ranks * target.pointsPerRank, '')]),
  );
}

function printValidation(costs, target, o) {
  const box = oneBox(costs, target, { coordinators: o.coordinators, workers: o.workers, cores: o.cores }, o.load);
  printTable(
    `One box (the fan-in bench's shape): ${fmt(target.ranks)} ranks, ${o.coordinators} coordinator, ${o.workers} workers, every stage and the ranks sharing ${o.cores} cores`,
    ['measure', 'predicted', 'measured'],
    [
      ['max points/s committed', fmt(box.max), o.measuredMax ? fmt(o.measuredMax) : ''],
      [`at ${fmt(o.load)} points/s: box utilisation`, `${fmt(box.rho * 100)}%`, ''],
      [`at ${fmt(o.load)} points/s: log() → committed, mean ms`, ms(box.latency), o.measuredP50 ? `p50 ${fmt(o.measuredP50)}` : ''],
      ...Object.entries(box.used).map(([part, c]) => [`at ${fmt(o.load)} points/s: ${part} CPU, % of a core`, fmt(c * 100, 1), o.measuredCpu?.[part] ?? '']),
    ],
  );
}

// `node bench/scaling-sim.mjs ...`: the tables for a target, or --validate.
if (import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const a = args(process.argv.slice(2));
  const costs = costsFrom(JSON.parse(readFileSync(a.costs ?? new URL('./stage-costs.json', import.meta.url), 'utf8')));
  const target = {
    ...DEFAULT_TARGET,
    ...(a['points-per-rank'] && { pointsPerRank: num(a['points-per-rank'], 'points-per-rank') }),
    ...(a.keys && { keysPerStep: num(a.keys, 'keys') }),
    ...(a['flush-ms'] && { flushMs: num(a['flush-ms'], 'flush-ms') }),
  };
  if (a.validate) {
    const ranks = num(a.ranks ?? 64, 'ranks');
    // --seen "points/s,batches/s,jobs/s": a fan-in phase's rates ("where the time goes"), its batching used instead of the model's.
    const seen = a.seen?.split(',').map((v) => num(v, 'seen'));
    if (seen) target.observed = { pointsPerBatch: seen[0] / seen[1], pointsPerJob: seen[0] / seen[2] };
    const measuredMax = a['measured-max'] ? num(a['measured-max'], 'measured-max') : undefined;
    printValidation(costs, { ...target, ranks, pointsPerRank: 0 }, {
      coordinators: num(a.coordinators ?? 1, 'coordinators'),
      workers: num(a.workers ?? 2, 'workers'),
      cores: num(a.cores ?? 2, 'cores'),
      load: num(a.load ?? (measuredMax ? measuredMax / 2 : 250_000), 'load'),
      measuredMax,
      measuredP50: a['measured-p50'] ? num(a['measured-p50'], 'measured-p50') : undefined,
      // --measured-cpu ranks=13,coordinator=6,...: the fan-in phase's CPU column (% of a core).
      measuredCpu: a['measured-cpu'] && Object.fromEntries(a['measured-cpu'].split(',').map((kv) => kv.split('='))),
    });
  } else {
    const shape = { ...DEFAULT_SHAPE, ...(a.headroom && { headroom: num(a.headroom, 'headroom') }), ...(a['pg-cores-per-node'] && { pgCoresPerNode: num(a['pg-cores-per-node'], 'pg-cores-per-node') }) };
    printPlans(costs, target, shape, (a.ranks ?? '100,1000,10000').split(',').map((r) => num(r, 'ranks')));
  }
}
