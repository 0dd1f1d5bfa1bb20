// One simulated rank of the fan-in bench, in a worker thread (the SDK keeps
// one active run per thread): a real SDK client that, per phase, opens a run,
// waits for "go", logs 20 scalar metrics per step for the phase's duration
// (a fixed number of steps as fast as it can, or paced for a duration), finishes the run (which waits until the
// server committed everything) and reports. Sampled ranks post the wall time
// of a step every 200 ms, which the parent polls the HTTP API for.
import { join } from 'node:path';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';

const { url, dir, rank, keys } = workerData;
process.env.COHORT_URL = url;
const { init } = await import('@cohort/sdk');
const literal = new Function('i', `return { ${Array.from({ length: keys }, (_, k) => `metric_${k}: Math.sin(i + ${k}) * 100`).join(', ')} };`);
let run;
let phase;

parentPort.on('message', async (m) => {
  try {
    if (m.type === 'open') {
      phase = m;
      run = await init({ project: m.project, name: `rank-${rank}`, dir: join(dir, `${m.project}-${rank}`), settings: { silent: true, systemMetricsSeconds: 0, finishTimeoutMs: 300_000, initTimeoutMs: 120_000 } });
      parentPort.postMessage({ type: 'ready', path: `${run.entity}/${m.project}/${run.id}` });
    } else if (m.type === 'go') {
      const t0 = Date.now();
      const end = t0 + phase.durationMs;
      const interval = phase.stepsPerSec > 0 ? 1000 / phase.stepsPerSec : 0;
      let nextSample = t0;
      let step = 0;
      // A fixed number of steps (the max phase), or paced for a duration.
      const more = phase.steps > 0 ? () => step < phase.steps : () => Date.now() < end;
      for (; more(); step++) {
        run.log(literal(step));
        if (phase.sample && Date.now() >= nextSample) {
          parentPort.postMessage({ type: 'sample', step, t: Date.now() });
          nextSample += 200;
        }
        if (interval > 0) {
          const due = t0 + (step + 1) * interval;
          const wait = due - Date.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          else if (step % 100 === 99) await yieldTurn();
        } else if (step % 100 === 99) await yieldTurn();
      }
      const loggedAt = Date.now();
      await run.finish();
      parentPort.postMessage({ type: 'done', steps: step, loggedAt, committedAt: Date.now() });
    } else if (m.type === 'exit') {
      process.exit(0);
    }
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: String(err?.stack ?? err) });
  }
});
parentPort.postMessage({ type: 'loaded' });
