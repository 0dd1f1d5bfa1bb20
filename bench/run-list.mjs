// npm run bench, part (g): listing the runs of a project of 50,000 runs (1 KiB
// of config each) over SQLite: the first page (engine and HTTP), the first page
// with config and summary, and every page one after the other, beside a raw
// better-sqlite3 read of the same first page measured in the same run. Target:
// first page < 50 ms (docs/SECURITY.md, "Limits"). `node bench/run-list.mjs` runs it alone.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startCoordinator } from '@cohort/coordinator';
import { Engine } from '@cohort/engine';
import { openSqliteStore } from '@cohort/store';
import { fmt, median, printTable } from './lib.mjs';

const RUNS = Number(process.env.BENCH_LIST_RUNS ?? 50_000);
const REPEATS = 7;

async function timeIt(fn) {
  const ms = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

function fill(file) {
  const store = openSqliteStore(file);
  const config = JSON.stringify({ lr: 0.001, note: 'x'.repeat(1000) });
  const base = { entity: 'local', project: 'big', state: 'finished', exitCode: 0, group: '', jobType: '', rank: null, worldSize: null, localRank: null, node: '', tags: ['t'], notes: '', configJson: config, summaryJson: '{"loss":0.1,"acc":0.9}', summaryStateJson: '', metricsJson: '[]', startTime: 1, endTime: 2, heartbeatAt: 2, runtime: 1, runtimeBase: 0, openedAt: 1, lastStep: 9, appliedSeq: 1, sweepId: '', host: '', mode: 'online', forkedFrom: '', resumed: false };
  return { store, create: (i) => store.createRun({ ...base, runId: `run-${i}`, name: `run-${i}` }) };
}

export async function benchRunList(tmp) {
  const file = join(tmp, 'run-list.db');
  const { store, create } = fill(file);
  for (let i = 0; i < RUNS; i++) await create(i);
  await store.close();
  const engine = new Engine(openSqliteStore(file));
  const coordinator = await startCoordinator({ engine, grpcPort: 0, httpPort: 0, webDir: null });
  const raw = new Database(file, { readonly: true });
  try {
    const rawPage = raw.prepare("SELECT * FROM runs WHERE entity = 'local' AND project = 'big' ORDER BY created_at DESC, pk DESC LIMIT 100");
    const rawMs = await timeIt(() => rawPage.all());
    const engineMs = await timeIt(() => engine.listRuns('local', 'big'));
    const url = `${coordinator.httpUrl}/api/v1/runs/local/big`;
    const healthMs = await timeIt(async () => (await fetch(`${coordinator.httpUrl}/api/v1/health`)).json());
    const httpMs = await timeIt(async () => (await fetch(url)).json());
    const fullMs = await timeIt(async () => (await fetch(`${url}?fields=config,summary`)).json());
    const t0 = performance.now();
    let cursor;
    let seen = 0;
    do {
      const page = await (await fetch(`${url}?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen += page.runs.length;
      cursor = page.nextCursor;
    } while (cursor);
    const allMs = performance.now() - t0;
    if (seen !== RUNS) throw new Error(`listed ${seen} runs, expected ${RUNS}`);
    printTable(`(g) listing a project of ${fmt(RUNS)} runs (1 KiB config each), SQLite (median of ${REPEATS})`, ['read', 'ms', 'target'], [
      ['raw better-sqlite3: first 100 rows through the listing index', fmt(rawMs, 2), ''],
      ['engine.listRuns: first page (100 runs, no config or summary)', fmt(engineMs, 2), '< 50'],
      ['raw HTTP round trip: GET /api/v1/health', fmt(healthMs, 2), ''],
      ['GET /api/v1/runs/e/p: first page', fmt(httpMs, 2), '< 50'],
      ['GET ...?fields=config,summary: first page', fmt(fullMs, 2), ''],
      [`every page of 1,000 one after the other (${fmt(RUNS)} runs)`, fmt(allMs, 0), ''],
    ]);
  } finally {
    raw.close();
    await coordinator.close();
    await engine.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-list-'));
  try {
    await benchRunList(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
