import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Api, init, syncRunDir } from '@cohort/sdk';
import { freePort } from '../harness/free-port.js';
import { eventually } from './dist-harness.js';

/**
 * The exit matrix (docs/sdk.md, how a run ends): a real training script
 * (fixtures/crash-process.mjs, the built SDK, no `finish()`) ends in each way
 * a real one does, online, offline, and online with the server down during
 * the end and back later. Each case checks that every row `log()` took is on
 * the server exactly once, the run's final state, exit code and error text,
 * and that the script exited with the code, signal and output it has without
 * Cohort (MODE=none).
 */
const SCRIPT = new URL('./fixtures/crash-process.mjs', import.meta.url).pathname;
const STEPS = 500;

const ENDINGS = ['throw', 'reject', 'exit0', 'exit3', 'drain', 'sigint', 'sigterm', 'kill9', 'own-sigint', 'own-uncaught'] as const;
type Ending = (typeof ENDINGS)[number];

/** What the run on the server must show after each ending. */
const EXPECTED: Record<Ending, { state: string; exitCode: number | null; error?: RegExp }> = {
  throw: { state: 'failed', exitCode: 1, error: /exit code 1: Error: boom: a bad batch\n\s+at / },
  reject: { state: 'failed', exitCode: 1, error: /exit code 1: Error: boom: rejected\n\s+at / },
  exit0: { state: 'finished', exitCode: 0 },
  exit3: { state: 'failed', exitCode: 3 },
  drain: { state: 'finished', exitCode: 0 },
  sigint: { state: 'killed', exitCode: 130 },
  sigterm: { state: 'preempted', exitCode: 143 },
  // Nothing ran at its end: the heartbeat (or an upload of its WAL) says crashed.
  kill9: { state: 'crashed', exitCode: null },
  // The program's own handlers keep working: it exits 130 itself after SIGINT, or carries on after an error it handled.
  'own-sigint': { state: 'killed', exitCode: 130 },
  'own-uncaught': { state: 'finished', exitCode: 0 },
};

const SIGNALS: Partial<Record<Ending, NodeJS.Signals>> = { sigint: 'SIGINT', sigterm: 'SIGTERM', kill9: 'SIGKILL', 'own-sigint': 'SIGINT' };

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly runId: string;
  readonly runDir: string;
  /** From the script's last row logged to its end. */
  readonly msAfterLogging: number;
}

interface Script {
  /** Resolves once the script opened its run (and waits at its gate, when it has one). */
  readonly opened: Promise<void>;
  readonly ended: Promise<Ended>;
}

function startScript(ending: Ending, mode: 'online' | 'offline' | 'none', env: Record<string, string>): Script {
  let loggedAt = 0;
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, ...env, ENDING: ending, MODE: mode, STEPS: String(STEPS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let openedResolve!: () => void;
  const opened = new Promise<void>((r) => (openedResolve = r));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('opened\n')) openedResolve();
    if (loggedAt === 0 && stdout.includes('logged ')) loggedAt = Date.now();
    const signal = SIGNALS[ending];
    if (signal && stdout.includes('ready\n') && child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  const ended = new Promise<Ended>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const m = /logged \d+ rows (\S*) (\S*)/.exec(stdout);
      resolve({ code, signal, stdout, stderr, runId: m?.[1] ?? '', runDir: m?.[2] ?? '', msAfterLogging: Date.now() - loggedAt });
    });
  });
  return { opened, ended };
}

/** The script's output with the run's id and folder taken out: what it prints without Cohort. */
function plainOutput(e: Ended): string {
  return e.stdout.replace(/logged (\d+) rows \S* \S*/, 'logged $1 rows');
}

/** The stderr lines the program wrote (Cohort's own `cohort:` warnings left out). */
function programStderrHead(e: Ended): string {
  return e.stderr
    .split('\n')
    .filter((l) => !l.startsWith('cohort: '))
    .join('\n')
    .split('\n    at ')[0]!;
}

async function expectRunEnded(api: Api, ending: Ending, e: Ended, timeoutMs: number, want = EXPECTED[ending]): Promise<void> {
  const path = `local/crash/${e.runId}`;
  const run = await eventually(
    async () => {
      const r = await api.run(path).catch(() => undefined);
      if (!r || r.state !== want.state) return undefined;
      const rows = await r.history({ keys: ['x'] });
      return rows.length >= STEPS ? r : undefined;
    },
    timeoutMs,
    `${ending}: run ${path} ${want.state} with ${STEPS} rows`,
  );
  const rows = await run.history({ keys: ['x'] });
  // Every row log() took, once each, in order.
  expect(rows.map((r) => r['_step']), ending).toEqual(Array.from({ length: STEPS }, (_, i) => i));
  expect(rows.map((r) => r['x']), ending).toEqual(Array.from({ length: STEPS }, (_, i) => i));
  expect(run.exitCode, ending).toBe(want.exitCode);
  if (want.error) {
    const events = await run.stateHistory();
    expect(events.at(-1)?.detail, ending).toMatch(want.error);
  }
}

async function walRecords(runDir: string): Promise<number> {
  const files = await readdir(join(runDir, 'wal')).catch(() => []);
  return files.length;
}

describe('a run ends with its process, whatever ends it', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  let api: Api;
  const baseline = new Map<Ending, Ended>();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-crash-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-crash-runs-'));
    // A short heartbeat timeout, so kill -9 is seen as crashed within seconds.
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0, heartbeatTimeoutSeconds: 3, sweepIntervalMs: 500 });
    api = new Api({ baseUrl: coordinator.httpUrl });
    // What each ending does without Cohort: the exit code, the signal and the output to match.
    const plain = ENDINGS.map((e) => [e, startScript(e, 'none', { COHORT_DIR: runsDir })] as const);
    for (const [e, s] of plain) baseline.set(e, await s.ended);
  }, 60_000);
  afterAll(async () => {
    await coordinator.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  function expectSameProgram(ending: Ending, e: Ended): void {
    const alone = baseline.get(ending)!;
    expect({ code: e.code, signal: e.signal }, ending).toEqual({ code: alone.code, signal: alone.signal });
    expect(plainOutput(e), ending).toBe(plainOutput(alone));
    expect(programStderrHead(e), ending).toBe(programStderrHead(alone));
  }

  it('online: every row is committed within seconds, the state is true, and the program is unchanged', async () => {
    const dir = join(runsDir, 'online');
    const scripts = ENDINGS.map((e) => [e, startScript(e, 'online', { COHORT_URL: coordinator.httpUrl, COHORT_DIR: dir })] as const);
    const ended = new Map<Ending, Ended>();
    for (const [ending, s] of scripts) {
      const e = await s.ended;
      expectSameProgram(ending, e);
      // A drained loop exits within seconds (it hung before), having finished the run in process.
      if (ending === 'drain') expect(e.msAfterLogging).toBeLessThan(10_000);
      await expectRunEnded(api, ending, e, 10_000);
      ended.set(ending, e);
    }
    // Syncing what kill -9 left behind keeps the crashed run crashed (it flipped back to running before): no new state event.
    const killed = ended.get('kill9')!;
    const before = await (await api.run(`local/crash/${killed.runId}`)).stateHistory();
    const [synced] = await syncRunDir(killed.runDir, { url: coordinator.httpUrl });
    expect(synced).toMatchObject({ runId: killed.runId, outcome: 'uploaded', records: 1 });
    const after = await api.run(`local/crash/${killed.runId}`);
    expect(after.state).toBe('crashed');
    expect(await after.stateHistory()).toEqual(before);
  }, 90_000);

  it('offline: every row is in the WAL, and cohort sync uploads every step and the final state', async () => {
    const dir = join(runsDir, 'offline');
    const scripts = ENDINGS.map((e) => [e, startScript(e, 'offline', { COHORT_DIR: dir })] as const);
    for (const [ending, s] of scripts) {
      const e = await s.ended;
      expectSameProgram(ending, e);
      const [result] = await syncRunDir(e.runDir, { url: coordinator.httpUrl });
      expect(result, ending).toMatchObject({ runId: e.runId, outcome: 'uploaded' });
      // kill -9: the WAL's writer is gone, so the upload marks the run crashed at once.
      await expectRunEnded(api, ending, e, 5_000);
    }
  }, 90_000);

  it('server down during the end and back later: an uploader commits everything once it is back', async () => {
    const downData = await mkdtemp(join(tmpdir(), 'cohort-crash-down-'));
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const options = { dataDir: downData, grpcPort, httpPort, heartbeatTimeoutSeconds: 3, sweepIntervalMs: 500 };
    let server: Coordinator | undefined = await startCoordinator(options);
    try {
      const downApi = new Api({ baseUrl: server.httpUrl });
      const gate = join(downData, 'gate');
      const dir = join(runsDir, 'down');
      const scripts = ENDINGS.map((e) => [e, startScript(e, 'online', { COHORT_URL: server!.httpUrl, COHORT_DIR: dir, GATE: gate })] as const);
      await Promise.all(scripts.map(([, s]) => s.opened));
      await server.close();
      server = undefined;
      await writeFile(gate, 'go');
      const ended = new Map<Ending, Ended>();
      for (const [ending, s] of scripts) {
        const e = await s.ended;
        expectSameProgram(ending, e);
        // Nothing reached the server: it is all in the WAL.
        expect(await walRecords(e.runDir), ending).toBeGreaterThan(0);
        ended.set(ending, e);
      }
      // The drained loop waited for the server within finishTimeoutMs and said what for.
      expect(ended.get('drain')!.stderr).toMatch(/waiting for the server to commit \d+ records of run \w+ \(the server is not reachable/);
      server = await startCoordinator(options);
      for (const [ending, e] of ended) if (ending !== 'kill9') await expectRunEnded(downApi, ending, e, 20_000);
      // kill -9 left no uploader: the next touch of its folder uploads it; here, resuming the run.
      const killed = ended.get('kill9')!;
      process.env['COHORT_URL'] = server.httpUrl;
      const again = await init({ project: 'crash', id: killed.runId, resume: 'must', dir, settings: { silent: true, systemMetricsSeconds: 0, console: 'off' } });
      // Its rows never reached the server before: the resume uploaded them first, so it continues after them.
      expect(again.startingStep).toBe(STEPS);
      await again.finish();
      await expectRunEnded(downApi, 'kill9', killed, 5_000, { state: 'finished', exitCode: 0 });
      const states = (await (await downApi.run(`local/crash/${killed.runId}`)).stateHistory()).map((ev) => [ev.state, ev.detail]);
      expect(states.slice(-3)).toEqual([
        ['crashed', expect.any(String)],
        ['running', expect.stringContaining('resumed')],
        ['finished', 'exit code 0'],
      ]);
    } finally {
      await server?.close();
      await rm(downData, { recursive: true, force: true });
    }
  }, 120_000);
});
