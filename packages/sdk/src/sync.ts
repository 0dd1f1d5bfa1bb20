import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CohortError, withOpenRunDefaults, type OpenRunRequestMessage, type WalHeaderMessage } from '@cohort/protocol';
import { DEFAULT_URL, readEnv } from './env.js';
import { silentLogger, type Logger } from './logger.js';
import { syncMediaDir } from './files/media-uploader.js';
import { AssetClient } from './transport/asset-client.js';
import { connect, resolveEndpoint } from './transport/endpoint.js';
import { openRun } from './transport/grpc-client.js';
import { RecordPump, type RecordSource } from './transport/record-pump.js';
import { WalCorruptionError, type WalEntry } from './wal/wal-format.js';
import { listSegments, scanSegment } from './wal/wal-reader.js';

/** Options of {@link syncRunDir}. */
export interface SyncOptions {
  /** The server. @defaultValue `COHORT_URL`, else `http://127.0.0.1:7712` */
  readonly url?: string;
  /** @defaultValue `COHORT_API_KEY` */
  readonly apiKey?: string;
  /** How long to wait for the server to commit one run's records. @defaultValue 600000 */
  readonly timeoutMs?: number;
  /** Where stream warnings go. @defaultValue nothing */
  readonly logger?: Logger;
}

/** The outcome of syncing one run folder. */
export interface SyncResult {
  readonly runDir: string;
  /** The run id from the WAL header (`''` when the header is unreadable). */
  readonly runId: string;
  /** Records the server committed during this sync. */
  readonly records: number;
  /** Why the upload stopped early (a corrupt WAL, a server error); absent on success. */
  readonly error?: string;
}

const SYNCED_FILE = 'synced.json';

/**
 * Uploads the WALs of offline runs (W&B's `wandb sync`). `dir` is a run folder
 * or a folder above run folders (searched two levels down). Each run is opened
 * from its WAL header, the media files beside it (`files/media/`) are uploaded,
 * and its records streamed; a corrupt or torn WAL uploads
 * up to its last good record and reports the corruption in `error`. A run
 * folder already synced completely is skipped (records 0).
 *
 * @example
 * const results = await syncRunDir('./.cohort');
 * const failed = results.filter((r) => r.error !== undefined);
 */
export async function syncRunDir(dir: string, options: SyncOptions = {}): Promise<SyncResult[]> {
  const env = readEnv();
  const url = options.url ?? env.url ?? DEFAULT_URL;
  const apiKey = options.apiKey ?? env.apiKey;
  const runDirs = await findRunDirs(resolve(dir), 2);
  const results: SyncResult[] = [];
  if (runDirs.length === 0) return results;
  const endpoint = await resolveEndpoint(url, apiKey, 30_000);
  for (const runDir of runDirs) {
    results.push(await syncOne(runDir, endpoint, apiKey, options));
  }
  return results;
}

async function findRunDirs(dir: string, depth: number): Promise<string[]> {
  if (await isDir(join(dir, 'wal'))) return [dir];
  if (depth === 0) return [];
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    const child = join(dir, name);
    if (await isDir(child)) out.push(...(await findRunDirs(child, depth - 1)));
  }
  return out;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

interface ScannedWal {
  header: WalHeaderMessage | undefined;
  segments: Array<{ file: string; firstSeq: number; count: number }>;
  lastGoodSeq: number;
  firstSeq: number;
  corruption: WalCorruptionError | undefined;
}

/** A validating pass over the WAL: counts good records per segment, finds the first corruption. */
async function scanWal(walDir: string): Promise<ScannedWal> {
  const out: ScannedWal = { header: undefined, segments: [], lastGoodSeq: 0, firstSeq: 0, corruption: undefined };
  let next: number | undefined;
  for (const { file, firstSeq } of await listSegments(walDir)) {
    if (next !== undefined && firstSeq !== next) {
      out.corruption = new WalCorruptionError(file, 0, `segment starts at seq ${firstSeq}, expected ${next} (a segment is missing)`);
      break;
    }
    const scan = await scanSegment(file, firstSeq);
    out.header ??= scan.header;
    if (out.segments.length === 0) out.firstSeq = firstSeq;
    out.segments.push({ file, firstSeq, count: scan.entries.length });
    if (scan.entries.length > 0) out.lastGoodSeq = firstSeq + scan.entries.length - 1;
    next = firstSeq + scan.entries.length;
    if (scan.corruption) {
      out.corruption = scan.corruption;
      break;
    }
  }
  return out;
}

/** Serves records to the pump from the WAL files, one segment in memory at a time. */
class WalFileSource implements RecordSource {
  readonly writtenSeq: number;
  readonly #segments: ScannedWal['segments'];
  #cached: { firstSeq: number; entries: WalEntry[] } | undefined;

  constructor(scanned: ScannedWal) {
    this.writtenSeq = scanned.lastGoodSeq;
    this.#segments = scanned.segments;
  }

  async read(fromSeq: number, maxBytes: number): Promise<WalEntry[]> {
    const out: WalEntry[] = [];
    let bytes = 0;
    for (const seg of this.#segments) {
      if (seg.firstSeq + seg.count <= fromSeq) continue;
      if (this.#cached?.firstSeq !== seg.firstSeq) {
        this.#cached = { firstSeq: seg.firstSeq, entries: (await scanSegment(seg.file, seg.firstSeq)).entries.slice(0, seg.count) };
      }
      for (const e of this.#cached.entries) {
        if (e.seq < fromSeq || e.seq > this.writtenSeq) continue;
        if (out.length > 0 && bytes + e.bytes.length > maxBytes) return out;
        out.push(e);
        bytes += e.bytes.length;
      }
      if (out.length > 0) return out;
    }
    return out;
  }
}

async function syncOne(
  runDir: string,
  endpoint: Awaited<ReturnType<typeof resolveEndpoint>>,
  apiKey: string | undefined,
  options: SyncOptions,
): Promise<SyncResult> {
  const scanned = await scanWal(join(runDir, 'wal'));
  const runId = scanned.header?.open.runId ?? '';
  const corruptionText = scanned.corruption?.message;
  const withError = (records: number, error: string | undefined): SyncResult =>
    error === undefined ? { runDir, runId, records } : { runDir, runId, records, error };
  if (!scanned.header) {
    return withError(0, corruptionText ?? (scanned.segments.length === 0 ? undefined : 'WAL has no header'));
  }
  if (scanned.lastGoodSeq === 0 && scanned.segments.every((s) => s.count === 0)) return withError(0, corruptionText);
  const synced = await readSynced(runDir);
  if (synced !== undefined && synced >= scanned.lastGoodSeq && !scanned.corruption) return withError(0, undefined);

  const open = scanned.header.open;
  const offline = open.mode === 'offline';
  // An online run's WAL continues a run the server already opened: resume it.
  const request: OpenRunRequestMessage = withOpenRunDefaults(
    offline ? { ...open, offline: true } : { ...open, resume: 'allow', resumeFrom: '', forkFrom: '', offline: false },
  );
  const client = connect(endpoint);
  try {
    const response = await openRun(client, request, apiKey, 30_000);
    const run = { entity: response.entity || open.entity, project: response.project || open.project, runId: response.runId || open.runId };
    // Media files the run left beside its WAL (offline, or an upload that failed) go first: the records name them.
    const assets = new AssetClient(endpoint.grpcAddress, { apiKey });
    try {
      await syncMediaDir({ client: assets, run }, join(runDir, 'files'));
    } finally {
      assets.close();
    }
    const applied = response.appliedSeq;
    const target = scanned.lastGoodSeq;
    if (applied >= target) {
      await writeSynced(runDir, target);
      return withError(0, corruptionText);
    }
    const source = new WalFileSource(scanned);
    let committed = applied;
    let failure: CohortError | undefined;
    await new Promise<void>((resolveDone) => {
      const timer = setTimeout(() => {
        failure = new CohortError('DEADLINE_EXCEEDED', `the server did not commit seq ${target} within ${options.timeoutMs ?? 600_000} ms`);
        resolveDone();
      }, options.timeoutMs ?? 600_000);
      const pump = new RecordPump({
        client,
        apiKey,
        hello: { ...run, label: open.mode === 'shared' ? open.label : '' },
        source,
        logger: options.logger ?? silentLogger,
        onCommitted: (seq) => {
          committed = seq;
          if (seq >= target) finish();
        },
        onFailed: (err) => {
          failure = err;
          finish();
        },
      });
      const finish = (): void => {
        clearTimeout(timer);
        pump.close();
        resolveDone();
      };
      pump.start();
    });
    const records = Math.max(0, Math.min(committed, target) - applied);
    if (failure) return withError(records, failure.message);
    if (!scanned.corruption) await writeSynced(runDir, target);
    return withError(records, corruptionText);
  } catch (err) {
    return withError(0, (err as Error).message);
  } finally {
    client.close();
  }
}

async function readSynced(runDir: string): Promise<number | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(runDir, SYNCED_FILE), 'utf8'));
    const seq = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)['committedSeq'] : undefined;
    return typeof seq === 'number' ? seq : undefined;
  } catch {
    return undefined;
  }
}

async function writeSynced(runDir: string, committedSeq: number): Promise<void> {
  await writeFile(join(runDir, SYNCED_FILE), `${JSON.stringify({ committedSeq })}\n`);
}
