import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SweepClient } from '@cohort/sdk';
import { CliUsageError, parseFlags, readArgs, textFlag, urlFlag } from '../args.js';
import { serverUrl, type CliContext } from '../cli-context.js';

const ACTIONS = ['pause', 'resume', 'stop', 'cancel'] as const;
type Action = (typeof ACTIONS)[number];

/** The sweep client of a command: --url, --project, --entity, else the environment. */
export function sweepClient(ctx: CliContext, flags: { url?: string | undefined; project?: string | undefined; entity?: string | undefined }): SweepClient {
  const project = flags.project ?? ctx.env['COHORT_PROJECT'];
  const entity = flags.entity ?? ctx.env['COHORT_ENTITY'];
  const apiKey = ctx.env['COHORT_API_KEY'];
  return new SweepClient({
    url: serverUrl(ctx, flags.url),
    ...(apiKey !== undefined && { apiKey }),
    ...(project !== undefined && { project }),
    ...(entity !== undefined && { entity }),
  });
}

/**
 * `cohort sweep create FILE [--project P]` prints the new sweep's id and URL;
 * `cohort sweep pause|resume|stop|cancel ID` changes its state (docs/sweeps.md).
 */
export async function sweepCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = readArgs('sweep', argv, { url: { type: 'string' }, project: { type: 'string' }, entity: { type: 'string' } }, true);
  if (values.help) return -1;
  const flags = parseFlags('sweep', values, { url: urlFlag.optional(), project: textFlag.optional(), entity: textFlag.optional() });
  const [action, target, ...extra] = positionals;
  if (extra.length > 0) throw new CliUsageError(`unexpected argument ${JSON.stringify(extra[0])}`, 'sweep');
  if (action === undefined) throw new CliUsageError('missing subcommand: create, pause, resume, stop or cancel', 'sweep');
  if (target === undefined) throw new CliUsageError(action === 'create' ? 'create needs the sweep config file (YAML or JSON)' : `${action} needs a sweep id`, 'sweep');
  const client = sweepClient(ctx, flags);
  if (action === 'create') {
    const text = await readFile(resolve(ctx.cwd, target), 'utf8');
    const created = await client.create(text);
    ctx.stdout.write(`sweep ${created.entity}/${created.project}/${created.id}\n${created.url}\nrun an agent: cohort agent ${created.entity}/${created.project}/${created.id}\n`);
    return 0;
  }
  if (!ACTIONS.includes(action as Action)) throw new CliUsageError(`unknown subcommand ${JSON.stringify(action)}: create, pause, resume, stop or cancel`, 'sweep');
  const ref = await client.resolve(target);
  ctx.stdout.write(`sweep ${ref.entity}/${ref.project}/${ref.id}: ${await client.control(ref, action as Action)}\n`);
  return 0;
}
