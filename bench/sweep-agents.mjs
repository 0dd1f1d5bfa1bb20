// npm run bench, part (m): 1,000 sweep agents asking for a trial at once
// (POST /api/v1/sweeps/:e/:p/:id/next), over an embedded coordinator (SQLite)
// and over two coordinators sharing one PostgreSQL (each suggestion decided
// once, under the sweep's advisory lock), beside a raw baseline measured in
// the same run: 1,000 concurrent GET /api/v1/health on the same server.
// Target: 1,000 distinct trials. `node bench/sweep-agents.mjs` runs it alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { startCoordinator } from '@cohort/coordinator';
import { Engine } from '@cohort/engine';
import { openPostgresStore } from '@cohort/store';
import { fmt, median, printTable, providePostgres } from './lib.mjs';

const AGENTS = Number(process.env.BENCH_SWEEP_AGENTS ?? 1000);
const CONFIG = { method: 'random', run_cap: AGENTS, program: 'train.py', metric: { name: 'loss', goal: 'minimize' }, parameters: { lr: { min: 0.0001, max: 0.1 }, bs: { values: [16, 32, 64, 128] } } };

function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/** `n` requests at once; answers each one's latency (ms), the wall time and the bodies. */
async function burst(n, request) {
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const s = performance.now();
      const body = await request(i);
      return { ms: performance.now() - s, body };
    }),
  );
  return { wall: performance.now() - t0, ms: results.map((r) => r.ms), bodies: results.map((r) => r.body) };
}

async function postJson(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${url}: ${JSON.stringify(json)}`);
  return json;
}

/** One sweep, `AGENTS` agents asking at once across `urls` (round robin). */
async function agentsAtOnce(urls) {
  const { id } = await postJson(`${urls[0]}/api/v1/sweeps/local/bench`, CONFIG);
  // Warm-up, not measured: the connections and the server's code paths.
  await burst(AGENTS, (i) => fetch(`${urls[i % urls.length]}/api/v1/health`).then((r) => r.json()));
  const next = await burst(AGENTS, (i) => postJson(`${urls[i % urls.length]}/api/v1/sweeps/local/bench/${id}/next`, { agent: `agent-${i}`, heartbeatSeconds: 60 }));
  const trials = next.bodies.filter((b) => typeof b.trialId === 'string');
  const health = await burst(AGENTS, (i) => fetch(`${urls[i % urls.length]}/api/v1/health`).then((r) => r.json()));
  return { next, health, trials: trials.length, distinct: new Set(trials.map((t) => t.trialId)).size };
}

function rows(label, r) {
  return [
    [`${label}: POST .../next`, fmt(r.trials), fmt(r.distinct), fmt(median(r.next.ms), 1), fmt(percentile(r.next.ms, 0.99), 1), fmt(r.next.wall), fmt(r.next.wall / AGENTS, 2)],
    [`${label}: GET /api/v1/health (raw baseline)`, '', '', fmt(median(r.health.ms), 1), fmt(percentile(r.health.ms, 0.99), 1), fmt(r.health.wall), fmt(r.health.wall / AGENTS, 2)],
  ];
}

export async function benchSweepAgents() {
  const table = [];
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-sweep-'));
  const embedded = await startCoordinator({ dataDir: dir, grpcPort: 0, httpPort: 0 });
  try {
    table.push(...rows('embedded, SQLite', await agentsAtOnce([embedded.httpUrl])));
  } finally {
    await embedded.close();
    rmSync(dir, { recursive: true, force: true });
  }
  let postgres;
  try {
    postgres = await providePostgres();
  } catch (err) {
    console.log(`(m) skipping two coordinators on PostgreSQL: ${err.message}`);
  }
  if (postgres) {
    const db = `cohort_bench_sweeps_${process.pid}`;
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    const url = new URL(postgres.url);
    url.pathname = `/${db}`;
    const engines = [];
    const coordinators = [];
    try {
      for (let i = 0; i < 2; i++) {
        engines.push(new Engine(await openPostgresStore(url.toString())));
        coordinators.push(await startCoordinator({ engine: engines[i], grpcPort: 0, httpPort: 0 }));
      }
      table.push(...rows('2 coordinators, one PostgreSQL', await agentsAtOnce(coordinators.map((c) => c.httpUrl))));
    } finally {
      for (const c of coordinators) await c.close();
      for (const e of engines) await e.close();
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.end();
      await postgres.stop();
    }
  }
  printTable(`(m) ${fmt(AGENTS)} sweep agents asking for a trial at once (target: ${fmt(AGENTS)} distinct trials)`, ['server: request', 'trials', 'distinct', 'median ms', 'p99 ms', 'wall ms', 'wall ms per request'], table);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchSweepAgents();
