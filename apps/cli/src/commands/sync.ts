import { resolve } from 'node:path';
import { syncRunDir } from '@cohort/sdk';
import { CliUsageError, parseFlags, readArgs, urlFlag } from '../args.js';
import { serverUrl, type CliContext } from '../cli-context.js';

/**
 * `cohort sync DIR`: uploads offline run WALs with the SDK's `syncRunDir`.
 * Exits 1 when any run could not be uploaded completely (a corrupt tail, a
 * refusal); what was intact is uploaded either way.
 */
export async function syncCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = readArgs('sync', argv, { url: { type: 'string' } }, true);
  if (values.help) return -1;
  const flags = parseFlags('sync', values, { url: urlFlag.optional() });
  if (positionals.length !== 1) {
    throw new CliUsageError(positionals.length === 0 ? 'missing DIR: the folder of offline runs to upload' : `expected one DIR, got ${positionals.length}`, 'sync');
  }
  const dir = resolve(ctx.cwd, positionals[0]!);
  const url = serverUrl(ctx, flags.url);
  const apiKey = ctx.env['COHORT_API_KEY'];
  const results = await syncRunDir(dir, { url, ...(apiKey !== undefined && { apiKey }) });
  if (results.length === 0) {
    ctx.stdout.write(`nothing to sync: no run folders with a WAL under ${dir}\n`);
    return 0;
  }
  let failed = 0;
  for (const r of results) {
    if (r.error === undefined) {
      ctx.stdout.write(`synced ${r.runId}: ${r.records} records from ${r.runDir}\n`);
    } else {
      failed++;
      ctx.stdout.write(`FAILED ${r.runId || '(unreadable header)'}: ${r.records} records uploaded from ${r.runDir}, then: ${r.error}\n`);
    }
  }
  ctx.stdout.write(`${results.length - failed} of ${results.length} runs synced to ${url}\n`);
  return failed > 0 ? 1 : 0;
}
