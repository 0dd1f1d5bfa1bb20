import { join, resolve } from 'node:path';
import { collectBlobGarbage, LocalBlobStore, type BlobStore } from '@cohort/store';
import { CliUsageError, intFlag, parseFlags, postgresUrlFlag, readArgs, textFlag, urlFlag } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { openStore } from './keys.js';
import { nonEmpty } from './server.js';

/** A day: the server's default grace period (`blobGcGraceMs`). */
const DEFAULT_GRACE_MS = 86_400_000;

/**
 * `cohort gc blobs [--dry-run]`: one pass of blob garbage collection
 * (docs/scaling.md, "Blob garbage collection") over a server's store and
 * blob store, as the server's scheduled task runs it: content no artifact
 * or run file references, unreferenced for the grace period, is deleted.
 * `--dry-run` lists what the pass would delete and changes nothing.
 */
export async function gcCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  // Switches: readArgs only knows string flags, so they are taken out here (as `cohort k8s --jobset`).
  const dryRun = argv.includes('--dry-run');
  const forcePathStyle = argv.includes('--s3-force-path-style') ? true : undefined;
  const { values, positionals } = readArgs(
    'gc',
    argv.filter((a) => a !== '--dry-run' && a !== '--s3-force-path-style'),
    {
      data: { type: 'string' },
      postgres: { type: 'string' },
      'blob-dir': { type: 'string' },
      'blob-store': { type: 'string' },
      's3-endpoint': { type: 'string' },
      's3-region': { type: 'string' },
      'grace-ms': { type: 'string' },
    },
    true,
  );
  if (values.help) return -1;
  const [what, ...extra] = positionals;
  if (what !== 'blobs') throw new CliUsageError(`expected what to collect: blobs; got ${what === undefined ? 'none' : JSON.stringify(what)}`, 'gc');
  if (extra.length > 0) throw new CliUsageError(`unexpected argument ${JSON.stringify(extra[0])}`, 'gc');
  const flags = parseFlags(
    'gc',
    {
      data: values.data,
      postgres: values.postgres ?? nonEmpty(ctx.env['COHORT_POSTGRES_URL']),
      blobDir: values['blob-dir'] ?? nonEmpty(ctx.env['COHORT_BLOB_DIR']),
      blobStore: values['blob-store'] ?? nonEmpty(ctx.env['COHORT_BLOB_STORE']),
      s3Endpoint: values['s3-endpoint'],
      s3Region: values['s3-region'],
      graceMs: values['grace-ms'],
    },
    {
      data: textFlag.optional(),
      postgres: postgresUrlFlag.optional(),
      blobDir: textFlag.optional(),
      blobStore: textFlag.optional(),
      s3Endpoint: urlFlag.optional(),
      s3Region: textFlag.optional(),
      graceMs: intFlag(0, 365 * DEFAULT_GRACE_MS).optional(),
    },
  );
  if (flags.blobDir !== undefined && flags.blobStore !== undefined) throw new CliUsageError('give --blob-dir (a folder) or --blob-store (s3://bucket/prefix), not both', 'gc');
  if (flags.postgres !== undefined && flags.blobDir === undefined && flags.blobStore === undefined) {
    throw new CliUsageError('--blob-dir or --blob-store: required with --postgres (the blobs of a scaled deployment are not under --data)', 'gc');
  }
  const blobs = await openBlobs(ctx, flags, forcePathStyle);
  try {
    await using store = await openStore(ctx, flags.data, flags.postgres, 'gc');
    const report = await collectBlobGarbage({ blobs, artifacts: store.artifacts, graceMs: flags.graceMs ?? DEFAULT_GRACE_MS, dryRun });
    for (const d of report.deletedDigests) ctx.stdout.write(`${dryRun ? 'would delete' : 'deleted'} ${d}\n`);
    const more = report.deleted - report.deletedDigests.length;
    ctx.stderr.write(
      `scanned ${report.scanned} blobs (${report.scannedBytes} bytes); ${report.unreferenced} unreferenced past the grace period; ` +
        `${dryRun ? 'would delete' : 'deleted'} ${report.deleted}${more > 0 ? ` (${more} not listed)` : ''}` +
        `${dryRun ? '' : `; ${report.staleUploads} abandoned uploads removed`}\n`,
    );
    return 0;
  } finally {
    await blobs.close();
  }
}

async function openBlobs(
  ctx: CliContext,
  flags: { data?: string | undefined; blobDir?: string | undefined; blobStore?: string | undefined; s3Endpoint?: string | undefined; s3Region?: string | undefined },
  forcePathStyle: boolean | undefined,
): Promise<BlobStore> {
  if (flags.blobStore !== undefined) {
    const { S3BlobStore } = await import('@cohort/store/s3');
    return S3BlobStore.open(flags.blobStore, {
      ...(flags.s3Endpoint !== undefined && { endpoint: flags.s3Endpoint }),
      ...(flags.s3Region !== undefined && { region: flags.s3Region }),
      ...(forcePathStyle !== undefined && { forcePathStyle }),
      env: ctx.env,
    });
  }
  return LocalBlobStore.open(resolve(ctx.cwd, flags.blobDir ?? join(flags.data ?? 'cohort-data', 'blobs')));
}
