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
  // No id: a ranked run's id derives from (entity, project, group, rank) and it opens with
  // resume "allow", so an OpenRun that init() tries again after a proxy cut resumes, never doubles.
  const run = await init({
    project,
    group,
    rank,
    worldSize,
    dir: join(dir, `rank-${rank}`),
    settings: { silent: true, heartbeatSeconds: 2, systemMetricsSeconds: 0, finishTimeoutMs: 120_000 },
  });
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
