import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./fixtures/rank-process.mjs', import.meta.url));

/** A rank process started by {@link startRank}. */
export interface RankProcess {
  readonly child: ChildProcess;
  /** Its stdout lines so far. */
  readonly lines: string[];
  /** The highest step it printed as logged (-1 before any). */
  lastLogged(): number;
  /** Resolves with the first line matching `pattern` (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited, with its code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * torchrun-like environment of rank `rank` of `worldSize` in group `group`,
 * named outright by `COHORT_RUN_GROUP` (these tests are about the group
 * registry; which group a rank of a real torchrun gets is dist-torchrun.test.ts's).
 */
export function torchrunEnv(group: string, rank: number, worldSize: number, restartCount = 0): Record<string, string> {
  return {
    COHORT_RUN_GROUP: group,
    RANK: String(rank),
    WORLD_SIZE: String(worldSize),
    LOCAL_RANK: String(rank % 4),
    LOCAL_WORLD_SIZE: '4',
    GROUP_RANK: String(Math.floor(rank / 4)),
    TORCHELASTIC_RUN_ID: group,
    TORCHELASTIC_RESTART_COUNT: String(restartCount),
  };
}

/** Starts one rank as a real child process (`node rank-process.mjs`) with `env` over a clean environment. */
export function startRank(env: Record<string, string>): RankProcess {
  const clean: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'NODE_OPTIONS']) if (process.env[k] !== undefined) clean[k] = process.env[k]!;
  const child = spawn(process.execPath, [SCRIPT], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let buf = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    lines,
    exited,
    lastLogged: () => {
      for (let i = lines.length - 1; i >= 0; i--) {
        const m = /^logged (\d+)$/.exec(lines[i]!);
        if (m) return Number(m[1]);
      }
      return -1;
    },
    waitFor: (pattern, timeoutMs = 20_000) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout: ${lines.slice(-5).join(' | ')}; stderr: ${stderr}`)), timeoutMs);
        timer.unref();
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then(() => setTimeout(() => reject(new Error(`exited before a line matching ${pattern}; stdout: ${lines.slice(-5).join(' | ')}; stderr: ${stderr}`)), 50).unref());
      });
    },
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/** Polls `check` every 50 ms until it returns a value other than `undefined` (rejects after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The loss the rank process logs (see fixtures/rank-process.mjs). */
export function lossOf(rank: number, step: number, attempt = 0): number {
  return 1000 * attempt + 10 * rank + 1 / (step + 1);
}
