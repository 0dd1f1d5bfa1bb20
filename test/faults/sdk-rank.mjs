// One SDK client in a worker thread (the SDK holds one active run per thread):
// logs `rows` deterministic rows to one run and finishes it, then posts
// { path, summary } to the parent (or { error }). Rows must match rowAt() in
// fault-helpers.ts. Imports the built SDK (dist): `npm run build` first.
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const { url, dir, project, run: index, rows, pauseEvery = 20, pauseMs = 20, finishTimeoutMs = 45_000 } = workerData;
process.env.COHORT_URL = url;
try {
  const { init } = await import('@cohort/sdk');
  const run = await init({
    project,
    dir: join(dir, `run-${index}`),
    settings: { silent: true, flushIntervalMs: 10, heartbeatSeconds: 1, systemMetricsSeconds: 0, finishTimeoutMs },
  });
  run.defineMetric('loss', { summary: 'min,max,last' });
  parentPort.postMessage({ started: true });
  for (let step = 0; step < rows; step++) {
    run.log({ loss: 1000 - step + index / 1000, acc: (step % 97) / 97, tag: `r${index}s${step}` });
    if ((step + 1) % pauseEvery === 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  const summary = run.summary.toJSON();
  await run.finish();
  parentPort.postMessage({ path: `${run.entity}/${project}/${run.id}`, summary });
} catch (err) {
  parentPort.postMessage({ error: `${err?.code ?? ''} ${err?.stack ?? err}` });
}
