// One rank of the soak in a worker thread (the SDK keeps one active run per
// thread): logs soakRow(rank, step) every `stepMs` until the host says
// 'finish', then finishes the run and posts { path, steps, summary }.
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { soakRow } from './rows.mjs';

const { url, dir, project, group, rank, worldSize, stepMs } = workerData;
process.env.COHORT_URL = url;
let finishing = false;
parentPort.on('message', (m) => {
  if (m === 'finish') finishing = true;
});
try {
  const { init } = await import('@cohort/sdk');
  const options = {
    project,
    group,
    rank,
    worldSize,
    id: `${group}-r${rank}`,
    settings: { silent: true, heartbeatSeconds: 2, systemMetricsSeconds: 0, finishTimeoutMs: 120_000 },
  };
  // `init` does not retry an OpenRun whose connection dropped (the soak's proxy cuts do that; see
  // docs/RELIABILITY.md, "Observed, not fixed yet"): retry here, resuming, since the first try may have created the run.
  let run;
  for (let attempt = 1; ; attempt++) {
    try {
      run = await init({ ...options, dir: join(dir, `rank-${rank}-${attempt}`), ...(attempt > 1 && { resume: 'allow' }) });
      break;
    } catch (err) {
      if (err?.code !== 'UNAVAILABLE' || attempt === 5) throw err;
      parentPort.postMessage({ rank, initRetry: attempt, reason: String(err.message) });
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
  run.defineMetric('m00', { summary: 'min,max,last' });
  let step = 0;
  while (!finishing) {
    run.log(soakRow(rank, step));
    step++;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  const summary = run.summary.toJSON();
  await run.finish();
  parentPort.postMessage({ path: `${run.entity}/${project}/${run.id}`, rank, steps: step, summary });
} catch (err) {
  parentPort.postMessage({ rank, error: `${err?.code ?? ''} ${err?.stack ?? err}` });
}
