import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { CohortError } from '@cohort/protocol';
import { agentName, SWEEP_ENV, type SweepClient, type SweepRef } from '@cohort/sdk';
import { intFlag, parseFlags, readArgs, textFlag, urlFlag } from '../args.js';
import { serverUrl, type CliContext } from '../cli-context.js';
import { sweepClient } from './sweep.js';

/**
 * `cohort agent SWEEP [--count N]`: runs trials of a sweep one after another
 * (docs/sweeps.md). Each trial's command (the config's `command`, macros
 * expanded) runs in a process group of its own with the trial in its
 * environment: `COHORT_SWEEP_ID`, `COHORT_SWEEP_TRIAL`, `COHORT_SWEEP_PARAMS`
 * (JSON) and `COHORT_RUN_GROUP`, so every rank a launcher such as torchrun
 * starts joins the trial's group. The agent heartbeats the trial; when the
 * sweep stops it (early termination, cancel), or the agent is asked to stop,
 * the whole group gets SIGTERM, then SIGKILL after the grace period.
 */
export async function sweepAgentCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = readArgs(
    'agent',
    argv,
    {
      count: { type: 'string' },
      url: { type: 'string' },
      project: { type: 'string' },
      entity: { type: 'string' },
      interpreter: { type: 'string' },
      'heartbeat-seconds': { type: 'string' },
      'grace-seconds': { type: 'string' },
    },
    true,
  );
  if (values.help) return -1;
  const flags = parseFlags('agent', values, {
    count: intFlag(1, 1_000_000).optional(),
    url: urlFlag.optional(),
    project: textFlag.optional(),
    entity: textFlag.optional(),
    interpreter: textFlag.optional(),
    'heartbeat-seconds': intFlag(1, 600).optional(),
    'grace-seconds': intFlag(0, 3600).optional(),
  });
  const [path, ...extra] = positionals;
  if (path === undefined || extra.length > 0) return -1;
  const client = sweepClient(ctx, flags);
  const ref = await client.resolve(path);
  const { config } = await client.view(ref);
  if (config['program'] === undefined && config['command'] === undefined) {
    throw new CohortError('FAILED_PRECONDITION', `sweep ${ref.id} has no program or command to run; run its trials with the SDK's agent(id, fn) (docs/sweeps.md)`);
  }
  const heartbeatSeconds = flags['heartbeat-seconds'] ?? 10;
  const graceMs = (flags['grace-seconds'] ?? 10) * 1000;
  const name = agentName();
  const interpreter = flags.interpreter ?? ctx.env['COHORT_SWEEP_INTERPRETER'];
  let ran = 0;
  while ((flags.count === undefined || ran < flags.count) && !ctx.signal.aborted) {
    const next = await client.next(ref, { agent: name, heartbeatSeconds, ...(interpreter !== undefined && { interpreter }) });
    if ('done' in next) {
      ctx.stdout.write(`sweep ${ref.id} is ${next.state}: no more trials\n`);
      break;
    }
    if ('wait' in next) {
      await sleep(next.retryAfterMs, ctx.signal);
      continue;
    }
    ran++;
    ctx.stdout.write(`trial ${next.trialId}: ${next.command.join(' ')}\n`);
    const env = {
      ...ctx.env,
      COHORT_URL: serverUrl(ctx, flags.url),
      COHORT_PROJECT: ref.project,
      COHORT_ENTITY: ref.entity,
      COHORT_RUN_GROUP: next.runGroup,
      // Each rank of each trial is a run of its own: an id or resume from the agent's shell would merge them.
      COHORT_RUN_ID: undefined,
      COHORT_RESUME: undefined,
      [SWEEP_ENV.sweepId]: ref.id,
      [SWEEP_ENV.trialId]: next.trialId,
      [SWEEP_ENV.params]: JSON.stringify(next.params),
    };
    const exitCode = await runTrial(client, ref, next.trialId, next.command, { cwd: ctx.cwd, env, heartbeatSeconds, graceMs, signal: ctx.signal, stderr: ctx.stderr });
    const state = await client.end(ref, next.trialId, exitCode);
    ctx.stdout.write(`trial ${next.trialId}: ${state} (exit code ${exitCode})\n`);
  }
  return 0;
}

interface TrialOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  heartbeatSeconds: number;
  graceMs: number;
  signal: AbortSignal;
  stderr: { write(text: string): unknown };
}

/** Runs one trial's command to its end; answers its exit code (128 + the signal's number when killed). */
async function runTrial(client: SweepClient, ref: SweepRef, trialId: string, command: readonly string[], o: TrialOptions): Promise<number> {
  let child: ChildProcess;
  try {
    child = spawn(command[0]!, command.slice(1), { cwd: o.cwd, env: o.env, stdio: 'inherit', detached: true });
  } catch (err) {
    o.stderr.write(`cohort agent: trial ${trialId}: cannot start ${command[0]}: ${(err as Error).message}\n`);
    return 127;
  }
  const exited = new Promise<number>((resolve) => {
    child.once('error', (err) => {
      o.stderr.write(`cohort agent: trial ${trialId}: ${err.message}\n`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0))));
  });
  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stopGroup = (why: string) => {
    if (stopping || child.pid === undefined) return;
    stopping = true;
    o.stderr.write(`cohort agent: trial ${trialId}: ${why}; SIGTERM to its processes, SIGKILL in ${o.graceMs / 1000} s\n`);
    signalGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), o.graceMs);
  };
  const beat = setInterval(() => {
    client.heartbeat(ref, trialId).then(
      (stop) => stop && stopGroup('the sweep stopped it'),
      (err: unknown) => o.stderr.write(`cohort agent: trial ${trialId}: heartbeat failed: ${(err as Error).message}\n`),
    );
  }, o.heartbeatSeconds * 1000);
  const onAbort = () => stopGroup('the agent is stopping');
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await exited;
  } finally {
    clearInterval(beat);
    clearTimeout(killTimer);
    o.signal.removeEventListener('abort', onAbort);
    // Ranks a launcher left behind go with their trial.
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  }
}

/** Signals a whole process group; a group already gone is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
