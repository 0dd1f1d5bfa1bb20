// A process hosting several soak ranks, each in a worker thread. Reads its
// job from argv (JSON), prints one JSON line per finished rank on stdout, and
// finishes every rank when it gets SIGUSR2 (the soak's "stop logging").
import { Worker } from 'node:worker_threads';

const job = JSON.parse(process.argv[2]);
const threads = job.ranks.map(
  (rank) => new Worker(new URL('./rank.mjs', import.meta.url), { workerData: { ...job, rank }, execArgv: [] }),
);
let left = threads.length;
for (const t of threads) {
  t.on('message', (m) => {
    process.stdout.write(`${JSON.stringify(m)}\n`);
    if (--left === 0) process.exit(0);
  });
  t.on('error', (err) => {
    process.stdout.write(`${JSON.stringify({ error: String(err?.stack ?? err) })}\n`);
    if (--left === 0) process.exit(1);
  });
}
process.on('SIGUSR2', () => {
  for (const t of threads) t.postMessage('finish');
});
process.stdout.write('ready\n');
