// Logs a small, deterministic set of runs through the SDK for the dashboard's
// browser tests and screenshots: a 4-rank training group with media on rank 0,
// a baseline run, and (with `hostile: true`) a run whose user strings try to
// inject script. Every run goes through init() → WAL → gRPC → engine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Artifact, Histogram, Html, Image, Table, init, plot } from '@cohort/sdk';

/** The loss rank `rank` logs at `step`. */
export function lossOf(rank, step) {
  return 2 * Math.exp(-step / 80) + 0.05 * rank + 0.02 * Math.sin(step / 3) + (rank === 1 && step === 150 ? 1.5 : 0);
}

const quiet = { silent: true, flushIntervalMs: 5 };

/**
 * Seeds `project` on the server at `url` (runs' WALs go under `dir`).
 * With `systemSeconds`, the group's ranks sample system metrics that often
 * and each spends about a dozen samples' time logging, so their pages have
 * CPU, memory, disk and network to chart (the screenshots); otherwise no
 * system metrics (fast, for tests). Returns the run ids and what was logged.
 */
export async function seedDashboard({ url, dir, project = 'vision', steps = 300, hostile = false, systemSeconds = 0 }) {
  process.env.COHORT_URL = url;
  const rankSettings = { ...quiet, systemMetricsSeconds: systemSeconds };
  /** Pause per step that spreads a rank's steps over 12 samples. */
  const stepPauseMs = (systemSeconds * 12_000) / steps;
  const group = 'resnet-ddp';
  const ranks = [];
  for (let rank = 0; rank < 4; rank++) {
    const run = await init({
      project, group, rank, worldSize: 4, jobType: 'train', tags: ['ddp', 'demo'], dir: `${dir}/rank-${rank}`,
      name: `resnet-ddp-rank-${rank}`, config: { lr: 0.1, batch: 256, model: { depth: 50, width: 64 } }, settings: rankSettings,
      notes: rank === 0 ? '## ResNet-50, 4 ranks\n\nDDP over **4 GPUs**; see `val/acc`.\n\n- warmup 5 epochs\n- cosine decay' : '',
    });
    run.defineMetric('val/acc', { summary: 'max' });
    for (let step = 0; step < steps; step++) {
      const row = { 'train/loss': lossOf(rank, step), 'train/lr': 0.1 * Math.cos((step / steps) * Math.PI / 2), 'system/throughput': 900 + 40 * Math.sin(step / 7 + rank) };
      if (step % 10 === 0) row['val/acc'] = 1 - lossOf(rank, step) / 3;
      if (rank === 0 && step === 0) row['samples/input'] = new Image([[0, 64, 128], [192, 255, 32]], { caption: 'first batch' });
      run.log(row);
      if (stepPauseMs > 0) await new Promise((resolve) => setTimeout(resolve, stepPauseMs));
    }
    if (rank === 0) {
      const w = 32;
      const px = new Uint8Array(w * w * 3);
      for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) px.set([x * 8, y * 8, 128], (y * w + x) * 3);
      const preds = new Table({ columns: ['epoch', 'acc', 'split'] });
      for (let e = 0; e < 10; e++) {
        preds.addRow(e, 0.5 + e * 0.04, 'train');
        preds.addRow(e, 0.45 + e * 0.035, 'val');
      }
      run.log({
        'samples/input': new Image({ width: w, height: w, channels: 3, data: px }, { caption: 'a 32×32 gradient' }),
        'weights/fc': new Histogram(Array.from({ length: 2000 }, (_, i) => Math.sin(i) * Math.cos(i / 7)), { numBins: 40 }),
        'eval/acc_curve': plot.line(preds, 'epoch', 'acc', { title: 'accuracy by epoch', stroke: 'split' }),
        'eval/confusion': plot.confusionMatrix({ yTrue: [0, 1, 2, 2, 1, 0, 2], preds: [0, 2, 2, 2, 1, 0, 1], classNames: ['cat', 'dog', 'bird'] }),
        'eval/report': new Html('<h3>Epoch report</h3><p>All checks passed.</p>'),
      });
      run.alert('val/acc plateaued', 'No gain for 3 epochs.', { level: 'WARN' });
      // Two versions of a model artifact (v1 aliased `best`) and a saved file.
      mkdirSync(`${dir}/files`, { recursive: true });
      let best;
      for (const epoch of [1, 2]) {
        writeFileSync(`${dir}/files/weights-${epoch}.bin`, `weights of epoch ${epoch}`);
        const model = new Artifact('resnet-weights', 'model', { description: `ResNet-50 after epoch ${epoch}`, metadata: { epoch, acc: 0.8 + epoch / 100 } });
        model.addFile(`${dir}/files/weights-${epoch}.bin`, { name: 'weights.bin' });
        best = await run.logArtifact(model, { aliases: epoch === 2 ? ['best'] : [] });
      }
      // The best version, registered as a model (the model registry view).
      await run.linkArtifact(best, 'model-registry/resnet-50', ['production']);
      writeFileSync(`${dir}/files/summary.txt`, 'trained 4 ranks\n');
      await run.save(`${dir}/files/summary.txt`, { basePath: `${dir}/files`, policy: 'now' });
    }
    if (rank === 3) run.markPreempting();
    await run.finish(rank === 3 ? 1 : 0);
    ranks.push(run.id);
  }
  const base = await init({ project, name: 'baseline-sgd', jobType: 'train', tags: ['baseline'], dir: `${dir}/baseline`, config: { lr: 0.05 }, settings: quiet });
  for (let step = 0; step < steps; step++) base.log({ 'train/loss': 2.2 * Math.exp(-step / 120), 'val/acc': 0.4 + step / (steps * 3) });
  await base.useArtifact('resnet-weights:best');
  await base.finish();

  let hostileId;
  if (hostile) {
    const evil = '<script>window.__pwned = "name"</script><img src=x onerror="window.__pwned = \'img\'">';
    const run = await init({
      project, name: evil, tags: ['<b>tag</b>'], dir: `${dir}/hostile`, settings: quiet,
      notes: `# Notes\n\nCompare \`a < b\` here.\n\n${evil}\n\n[click](javascript:window.__pwned='link')\n\n<iframe src="javascript:window.top.__pwned='frame'"></iframe>`,
      config: { '<svg onload=window.__pwned=1>': '<img src=x onerror=window.__pwned=2>' },
    });
    const cells = new Table({ columns: ['<b>col</b>'], data: [['<img src=x onerror="window.top.__pwned=3">']] });
    run.log({ [evil]: 1, 'html/report': new Html('<script>window.top.__pwned = "html"; parent.__pwned = "html"</script><p>inert</p>'), 'html/cells': cells, note: evil });
    run.alert('<script>window.__pwned=9</script>', evil);
    await run.finish();
    hostileId = run.id;
  }
  return { project, group, ranks, baseline: base.id, hostile: hostileId };
}
