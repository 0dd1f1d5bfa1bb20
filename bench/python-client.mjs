// The Python client (clients/python) beside its baselines, measured in the same run:
// (i) log() of a 10-key row on the caller's turn vs json.dumps + a pipe write of the same rows;
// (j) points/s from Python's log() to committed vs the TypeScript SDK's, each against a server process.
// `node bench/python-client.mjs` runs it alone; bench/run.mjs can call benchPythonClient(tmp).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { init } from '@cohort/sdk';
import { CLI, fmt, median, printTable, startServerProcess } from './lib.mjs';

const PYTHON = process.env.COHORT_BENCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python_client.py', import.meta.url));
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const STEPS = 100_000;
const KEYS = 20;

function python(what, env) {
  const out = execFileSync(PYTHON, [SCRIPT, what], {
    env: { ...process.env, COHORT_AGENT: `${process.execPath} ${CLI}`, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

function rowsOf(keys, count) {
  const literal = new Function('i', `return { ${Array.from({ length: keys }, (_, k) => `metric_${k}: Math.sin(i + ${k}) * 100`).join(', ')} };`);
  return Array.from({ length: count }, (_, i) => literal(i));
}

/** The TypeScript SDK's end-to-end rate on the same rows (as bench/run.mjs (b) measures it). */
async function tsEndToEnd(dir) {
  const rows = rowsOf(KEYS, 1_000);
  const run = await init({ project: 'bench', mode: 'online', dir, settings: { silent: true } });
  const t0 = performance.now();
  for (let step = 0; step < STEPS; step++) {
    run.log(rows[step % 1000]);
    if (step % 1000 === 999) await yieldTurn();
  }
  await run.finish();
  return (STEPS * KEYS) / ((performance.now() - t0) / 1000);
}

export async function benchPythonClient(tmp) {
  const caller = [];
  for (let r = 0; r < REPEATS; r++) caller.push(python('caller', {}));
  printTable(`(i) Python log() of a 10-key row on the caller's turn (median of ${REPEATS})`, ['measure', 'ns per row', 'target'], [
    ["cohort run.log() on the caller's turn", fmt(median(caller.map((c) => c.log_ns))), '≤ 5,000'],
    ['raw: json.dumps(row) + os.write to a pipe', fmt(median(caller.map((c) => c.raw_ns))), ''],
  ]);
  const py = [];
  const ts = [];
  for (let r = 0; r < REPEATS; r++) {
    const server = await startServerProcess(join(tmp, `py-server-${r}`));
    try {
      process.env.COHORT_URL = server.httpUrl;
      ts.push(await tsEndToEnd(join(tmp, `ts-${r}`)));
      py.push(python('e2e', { COHORT_URL: server.httpUrl, STEPS: String(STEPS), KEYS: String(KEYS) }).points_per_s);
    } finally {
      await server.stop();
    }
  }
  const pyRate = median(py);
  const tsRate = median(ts);
  printTable(`(j) end-to-end, ${KEYS} scalar keys per step, ${fmt(STEPS * KEYS)} points, committed (median of ${REPEATS})`, ['client', 'points/s', 'vs TS SDK'], [
    ['Python run.log() → agent → gRPC → engine → SQLite', fmt(pyRate), `${fmt((pyRate / tsRate) * 100)}%`],
    ['TypeScript SDK log() → gRPC → engine → SQLite', fmt(tsRate), '100%'],
    ['target', '', '≥ 50%'],
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-py-'));
  try {
    await benchPythonClient(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
