import { resolve } from 'node:path';
import { syncRunDir, terminalProgress, type SyncProgress, type SyncResult } from '@cohort/sdk';
import { CliUsageError, parseFlags, readArgs, urlFlag } from '../args.js';
import { serverUrl, type CliContext } from '../cli-context.js';

/**
 * `cohort sync DIR`: uploads the run WALs under DIR with the SDK's
 * `syncRunDir` (offline runs, and what an online run left uncommitted). One
 * line per run says what happened to it; on a terminal a progress line shows
 * the records committed so far. Exits 1 when DIR does not exist or any run
 * could not be uploaded completely (a corrupt tail, a refusal); what was
 * intact is uploaded either way.
 */
export async function syncCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = readArgs('sync', argv, { url: { type: 'string' } }, true);
  if (values.help) return -1;
  const flags = parseFlags('sync', values, { url: urlFlag.optional() });
  if (positionals.length !== 1) {
    throw new CliUsageError(positionals.length === 0 ? 'missing DIR: the folder of run folders to upload' : `expected one DIR, got ${positionals.length}`, 'sync');
  }
  const dir = resolve(ctx.cwd, positionals[0]!);
  const url = serverUrl(ctx, flags.url);
  const apiKey = ctx.env['COHORT_API_KEY'];
  const progress = terminalProgress(ctx.stderr, (done, total) => `syncing ${runId}: ${done} of ${total} records`, { afterMs: 0 });
  let runId = '';
  const onProgress = (p: SyncProgress): void => {
    runId = p.runId;
    progress?.update(p.records, p.total);
  };
  let results: SyncResult[];
  try {
    results = await syncRunDir(dir, { url, ...(apiKey !== undefined && { apiKey }), ...(progress && { onProgress }) });
  } finally {
    progress?.clear();
  }
  if (results.length === 0) {
    ctx.stdout.write(`nothing to sync: no run folders with a WAL under ${dir}\n`);
    return 0;
  }
  let failed = 0;
  for (const r of results) {
    const id = r.runId || '(unknown run)';
    switch (r.outcome) {
      case 'uploaded':
        ctx.stdout.write(`synced ${id}: ${r.records} records from ${r.runDir}\n`);
        break;
      case 'up-to-date':
        ctx.stdout.write(`up to date ${id}: the server already has every record of ${r.runDir}\n`);
        break;
      case 'empty':
        ctx.stdout.write(`nothing to upload ${id}: the WAL of ${r.runDir} is empty (every record was committed)\n`);
        break;
      case 'failed':
        failed++;
        ctx.stdout.write(`FAILED ${r.runId || '(unreadable header)'}: ${r.records} records uploaded from ${r.runDir}, then: ${r.error ?? 'unknown error'}\n`);
        break;
    }
  }
  ctx.stdout.write(`${results.length - failed} of ${results.length} runs synced to ${url}\n`);
  return failed > 0 ? 1 : 0;
}
