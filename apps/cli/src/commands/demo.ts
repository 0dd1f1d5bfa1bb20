import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { init, silentLogger } from '@cohort/sdk';
import { intFlag, parseFlags, readArgs, textFlag, urlFlag } from '../args.js';
import { DEFAULT_URL, type CliContext } from '../cli-context.js';
import { isServerUp } from '../server-probe.js';

/** The most steps and ranks a demo logs: it is a demo. */
const MAX_STEPS = 1_000_000;
const MAX_RANKS = 64;

/** Set in the environment of a rank process the demo starts. */
const CHILD_MARK = 'COHORT_DEMO_CHILD';
/** The built CLI, which the demo starts once per rank (from src/ in tests too: dist is built first). */
const CLI_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/**
 * `cohort demo`: logs a simulated training run with `@cohort/sdk` and prints
 * its URL. With `--ranks N` (N > 1) it is a training group: one child
 * process per rank, each with a torchrun-like environment (`RANK`,
 * `WORLD_SIZE`, `LOCAL_RANK`, `TORCHELASTIC_RUN_ID`, the group in
 * `COHORT_RUN_GROUP`), logging at once; the SDK finds its group and rank there. Starts an embedded server when none
 * answers, and stops it before returning.
 */
export async function demoCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values } = readArgs(
    'demo',
    argv,
    { url: { type: 'string' }, steps: { type: 'string' }, ranks: { type: 'string' }, project: { type: 'string' }, data: { type: 'string' } },
    false,
  );
  if (values.help) return -1;
  const flags = parseFlags('demo', values, {
    url: urlFlag.optional(),
    steps: intFlag(1, MAX_STEPS).optional(),
    ranks: intFlag(1, MAX_RANKS).optional(),
    project: textFlag.optional(),
    data: textFlag.optional(),
  });
  const log = ctx.logger.child({ component: 'demo' });
  if (ctx.env[CHILD_MARK] === '1') {
    // One rank of a group the parent demo started: group and rank come from the environment.
    // Its rank (from RANK) seeds its curves, so the group's min–max band shows.
    const rank = Number(ctx.env['RANK'] ?? '0');
    const runUrl = await simulateRank({ project: flags.project ?? 'cohort-demo', group: undefined, rank: Number.isSafeInteger(rank) && rank >= 0 ? rank : 0, ranks: 1, steps: flags.steps ?? 200, dir: ctx.env['COHORT_DIR'] ?? '.cohort' });
    ctx.stdout.write(`run url: ${runUrl}\n`);
    return 0;
  }

  let url = (flags.url ?? ctx.env['COHORT_URL'])?.replace(/\/+$/, '');
  let embedded: Coordinator | undefined;
  if (url === undefined) {
    if (await isServerUp(DEFAULT_URL, 1000)) {
      url = DEFAULT_URL;
    } else {
      embedded = await startEmbedded(resolve(ctx.cwd, flags.data ?? 'cohort-data'), ctx);
      url = embedded.httpUrl;
      ctx.stderr.write(`No server answered at ${DEFAULT_URL}; started an embedded one for this demo (data in ${resolve(ctx.cwd, flags.data ?? 'cohort-data')}).\n`);
    }
  }

  const runsDir = await mkdtemp(join(tmpdir(), 'cohort-demo-'));
  // The SDK reads its server from COHORT_URL; this process is the CLI, so setting it here is ours to do.
  const previousUrl = process.env['COHORT_URL'];
  process.env['COHORT_URL'] = url;
  let keepRunsDir = false;
  try {
    const steps = flags.steps ?? 200;
    const ranks = flags.ranks ?? 1;
    const group = ranks > 1 ? `demo-${Date.now().toString(36)}` : undefined;
    if (group !== undefined) {
      const project = flags.project ?? 'cohort-demo';
      const codes = await Promise.all(
        Array.from({ length: ranks }, (_, rank) => spawnRank({ url, group, rank, ranks, steps, project, dir: runsDir, ctx })),
      );
      const failed = codes.filter((c) => c !== 0).length;
      if (failed > 0) {
        keepRunsDir = true;
        ctx.stderr.write(`${failed} of ${ranks} ranks failed.\n`);
        return 1;
      }
      // The group's dashboard page (its members, and every rank's curves with the mean and min–max band).
      ctx.stdout.write(`group url: ${url}/local/${encodeURIComponent(project)}/groups/${encodeURIComponent(group)}\n`);
      if (embedded) ctx.stderr.write(`Browse it later with \`cohort server${flags.data ? ` --data ${flags.data}` : ''}\`.\n`);
      return 0;
    }
    for (let rank = 0; rank < ranks; rank++) {
      if (ctx.signal.aborted) return 130;
      const runUrl = await simulateRank({ project: flags.project ?? 'cohort-demo', group, rank, ranks, steps, dir: runsDir }).catch((err: unknown) => {
        keepRunsDir = true;
        throw err;
      });
      ctx.stdout.write(`run url: ${runUrl}\n`);
    }
    log.debug({ ranks, steps }, 'demo logged');
    if (embedded) ctx.stderr.write(`Browse it later with \`cohort server${flags.data ? ` --data ${flags.data}` : ''}\`.\n`);
    return 0;
  } finally {
    if (previousUrl === undefined) delete process.env['COHORT_URL'];
    else process.env['COHORT_URL'] = previousUrl;
    if (keepRunsDir) ctx.stderr.write(`The run's write-ahead log is kept in ${runsDir}; upload it with \`cohort sync ${runsDir}\`.\n`);
    else await rm(runsDir, { recursive: true, force: true });
    await embedded?.close();
  }
}

/** Starts one rank of the demo group as a child process (`cohort demo` again, with a torchrun-like environment); resolves with its exit code. */
function spawnRank(o: { url: string; group: string; rank: number; ranks: number; steps: number; project: string; dir: string; ctx: CliContext }): Promise<number> {
  const env: NodeJS.ProcessEnv = {
    ...o.ctx.env,
    [CHILD_MARK]: '1',
    COHORT_URL: o.url,
    COHORT_DIR: o.dir,
    RANK: String(o.rank),
    WORLD_SIZE: String(o.ranks),
    LOCAL_RANK: String(o.rank % 8),
    LOCAL_WORLD_SIZE: String(Math.min(8, o.ranks)),
    GROUP_RANK: String(Math.floor(o.rank / 8)),
    TORCHELASTIC_RUN_ID: o.group,
    // Named outright: the printed group URL is this group's (docs/distributed.md, "Which job a rank belongs to").
    COHORT_RUN_GROUP: o.group,
    TORCHELASTIC_RESTART_COUNT: '0',
    COHORT_LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, [CLI_MAIN, 'demo', '--steps', String(o.steps), '--project', o.project], { env, cwd: o.ctx.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (t: string) => o.ctx.stdout.write(t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => o.ctx.stderr.write(`rank ${o.rank}: ${t}`));
  const onAbort = (): void => void child.kill('SIGTERM');
  o.ctx.signal.addEventListener('abort', onAbort, { once: true });
  return new Promise((resolve) => {
    child.on('error', (err) => {
      o.ctx.stderr.write(`rank ${o.rank}: could not start: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      o.ctx.signal.removeEventListener('abort', onAbort);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

async function startEmbedded(dataDir: string, ctx: CliContext): Promise<Coordinator> {
  // Quieter than `cohort server`: the demo's own output is the point.
  const logger = ctx.logger.child({}, { level: 'warn' });
  // The default ports first, so the printed URL is the one `cohort server` serves later.
  try {
    return await startCoordinator({ dataDir, grpcPort: 7711, httpPort: 7712, logger });
  } catch {
    return startCoordinator({ dataDir, grpcPort: 0, httpPort: 0, logger });
  }
}

interface RankPlan {
  project: string;
  group: string | undefined;
  rank: number;
  ranks: number;
  steps: number;
  dir: string;
}

/** A deterministic pseudo-random source, so a demo looks the same every time. */
function noise(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 0xffffffff) * 2 - 1;
  };
}

async function simulateRank(plan: RankPlan): Promise<string> {
  const config = {
    model: { name: 'mlp', layers: 4, hidden: 256, dropout: 0.1 },
    optimizer: { name: 'adamw', lr: 3e-4, weight_decay: 0.01 },
    batch_size: 64,
    epochs: Math.max(1, Math.round(plan.steps / 50)),
    seed: 1234 + plan.rank,
  };
  const run = await init({
    project: plan.project,
    jobType: 'train',
    config,
    dir: plan.dir,
    tags: ['demo'],
    ...(plan.group !== undefined && { group: plan.group, rank: plan.rank, worldSize: plan.ranks, localRank: plan.rank }),
    settings: { logger: silentLogger, systemMetricsSeconds: 1 },
  });
  try {
    run.defineMetric('val/loss', { summary: 'min' });
    run.defineMetric('val/acc', { summary: 'max' });
    run.defineMetric('train/*', { summary: 'last' });
    const rand = noise(42 + plan.rank);
    const warmup = Math.max(1, Math.round(plan.steps * 0.05));
    const evalEvery = Math.max(1, Math.round(plan.steps / 20));
    for (let step = 0; step < plan.steps; step++) {
      const t = step / plan.steps;
      const lr = step < warmup ? (3e-4 * (step + 1)) / warmup : 3e-4 * 0.5 * (1 + Math.cos(Math.PI * (step - warmup) / Math.max(1, plan.steps - warmup)));
      // Each rank its own data shard: a slightly different decay and floor.
      const loss = 2.3 * Math.exp(-(3 + 0.15 * plan.rank) * t) + 0.08 + 0.01 * plan.rank + 0.05 * rand() * (1 - 0.5 * t);
      const acc = Math.min(1, 0.1 + 0.85 * (1 - Math.exp(-4 * t)) + 0.02 * rand());
      const row: Record<string, number> = { 'train/loss': loss, 'train/acc': acc, 'train/lr': lr, epoch: Math.floor((step * config.epochs) / plan.steps) };
      if (step % evalEvery === evalEvery - 1 || step === plan.steps - 1) {
        row['val/loss'] = loss * 1.08 + 0.03 * Math.abs(rand());
        row['val/acc'] = acc * 0.97;
      }
      run.log(row);
    }
    await run.finish(0);
  } catch (err) {
    await run.finish(1).catch(() => undefined);
    throw err;
  }
  return run.url ?? `${process.env['COHORT_URL'] ?? ''} (run ${run.path})`;
}
