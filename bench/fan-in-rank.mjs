// A host of simulated ranks for the fan-in bench, in a child process of its
// own (forked by fan-in.mjs): `ranks` real SDK clients in one event loop, so
// 256 ranks fit in a few processes. Per phase each rank opens a run (init()),
// waits for "go", logs 20 scalar metrics per step (a fixed number of steps as
// fast as it can, or paced for a duration), finishes the run (finish()
// resolves once the server committed everything) and reports. Sampled ranks
// post the wall time of a step every 200 ms, which the parent polls the HTTP
// API for.
//
// Each rank is its own run beside the others: init({ reinit: 'create_new' }),
// W&B's way to hold several runs in one process.
import { join } from 'node:path';
import { init } from '@cohort/sdk';
import { setImmediate as yieldTurn } from 'node:timers/promises';

const { COHORT_BENCH_DIR: dir, COHORT_BENCH_RANKS: rankList, COHORT_BENCH_KEYS: keyCount } = process.env;
const ranks = rankList.split(',').map(Number);
const keys = Number(keyCount);
/** BENCH_FANIN_FLUSH_MS: the ranks' `settings.flushIntervalMs` (the SDK's default when unset). */
const flushMs = process.env.BENCH_FANIN_FLUSH_MS === undefined ? undefined : Number(process.env.BENCH_FANIN_FLUSH_MS);
const literal = new Function('i', `return { ${Array.from({ length: keys }, (_, k) => `metric_${k}: Math.sin(i + ${k}) * 100`).join(', ')} };`);
const send = (m) => process.send(m);
let runs = [];
/** How often the paced phases' loop wakes up. */
const TICK_MS = 20;
let phase;

/** Opens the phase's runs, `width` at a time (opening hundreds at once on 2 cores starves the gRPC deadlines). */
async function open(m, width = 8) {
  phase = m;
  runs = [];
  for (let i = 0; i < ranks.length; i += width) {
    const opened = await Promise.all(
      ranks.slice(i, i + width).map((rank) =>
        init({
          reinit: 'create_new',
          project: m.project,
          name: `rank-${rank}`,
          dir: join(dir, `${m.project}-${rank}`),
          settings: { silent: true, console: 'off', handleSigterm: false, systemMetricsSeconds: 0, finishTimeoutMs: 300_000, initTimeoutMs: 120_000, ...(flushMs !== undefined && { flushIntervalMs: flushMs }) },
        }),
      ),
    );
    runs.push(...opened);
  }
  send({ type: 'ready', paths: runs.map((run, i) => ({ rank: ranks[i], path: `${run.entity}/${m.project}/${run.id}` })) });
}

/** One rank's loop in the max phase: `phase.steps` steps as fast as it can, yielding every 100. */
async function logRank(run, rank, t0) {
  const sampled = phase.sampled.includes(rank);
  let nextSample = t0;
  let step = 0;
  for (; step < phase.steps; step++) {
    run.log(literal(step));
    if (sampled && Date.now() >= nextSample) {
      send({ type: 'sample', rank, step, t: Date.now() });
      nextSample += 200;
    }
    if (step % 100 === 99) await yieldTurn();
  }
  const loggedAt = Date.now();
  await run.finish();
  return { steps: step, loggedAt };
}

/**
 * The paced phases: one loop for all of this host's ranks that, every
 * TICK_MS, logs each rank's steps that fell due (a timer per rank and step
 * would make the load generator itself cost a core at 256 ranks).
 */
async function logPaced(t0) {
  const interval = 1000 / phase.stepsPerSec;
  const end = t0 + phase.durationMs;
  const state = runs.map((run, i) => ({ run, rank: ranks[i], step: 0, sampled: phase.sampled.includes(ranks[i]), nextSample: t0 }));
  while (Date.now() < end) {
    const due = Math.floor((Date.now() - t0) / interval) + 1;
    for (const s of state) {
      for (; s.step < due; s.step++) {
        s.run.log(literal(s.step));
        if (s.sampled && Date.now() >= s.nextSample) {
          send({ type: 'sample', rank: s.rank, step: s.step, t: Date.now() });
          s.nextSample += 200;
        }
      }
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const loggedAt = Date.now();
  await Promise.all(state.map((s) => s.run.finish()));
  return state.map((s) => ({ steps: s.step, loggedAt }));
}

process.on('message', async (m) => {
  try {
    if (m.type === 'open') await open(m);
    else if (m.type === 'go') {
      const t0 = Date.now();
      const done = phase.stepsPerSec > 0 ? await logPaced(t0) : await Promise.all(runs.map((run, i) => logRank(run, ranks[i], t0)));
      send({ type: 'done', steps: done.reduce((n, d) => n + d.steps, 0), loggedAt: Math.max(...done.map((d) => d.loggedAt)) });
    } else if (m.type === 'exit') process.exit(0);
  } catch (err) {
    send({ type: 'error', message: String(err?.stack ?? err) });
  }
});
send({ type: 'loaded' });
