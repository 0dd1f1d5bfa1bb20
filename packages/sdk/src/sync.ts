import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CohortError, decodeRecord, encodeRecord, withOpenRunDefaults, type OpenRunRequestMessage, type WalHeaderMessage } from '@cohort/protocol';
import { DEFAULT_URL, readEnv } from './env.js';
import { silentLogger, type Logger } from './logger.js';
import { syncFilesDir } from './files/media-uploader.js';
import { syncOfflineArtifacts } from './artifacts/offline-artifacts.js';
import { AssetClient } from './transport/asset-client.js';
import { connect, resolveEndpoint, type ServerEndpoint } from './transport/endpoint.js';
import { openRun, type CoordinatorClient } from './transport/grpc-client.js';
import { RecordPump, type RecordSource } from './transport/record-pump.js';
import { encodeFrames, WalCorruptionError, type WalEntry } from './wal/wal-format.js';
import { writerGone } from './exit/writer-file.js';
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
  /** Called as the server commits records (the CLI draws its progress line with it). */
  readonly onProgress?: (progress: SyncProgress) => void;
}

/** How far the upload of one run folder is. */
export interface SyncProgress {
  readonly runDir: string;
  readonly runId: string;
  /** Records committed by the server during this sync so far. */
  readonly records: number;
  /** Records this sync has to upload in all. */
  readonly total: number;
}

/**
 * What syncing one folder did: `uploaded` records, found it `up-to-date` (the
 * server already has every record), `empty` (its WAL holds nothing: an online
 * run whose every record was committed), or `failed` (see `error`).
 */
export type SyncOutcome = 'uploaded' | 'up-to-date' | 'empty' | 'failed';

/** The outcome of syncing one run folder. */
export interface SyncResult {
  readonly runDir: string;
  /** The run id from the WAL header, else from the folder's name (`run-<time>-<id>`), else `''`. */
  readonly runId: string;
  /** Records the server committed during this sync. */
  readonly records: number;
  readonly outcome: SyncOutcome;
  /** Why the upload stopped early (a corrupt WAL, a server error); absent on success. */
  readonly error?: string;
}

const SYNCED_FILE = 'synced.json';
const RUN_DIR_NAME = /^run-\d{8}_\d{6}-(.+?)(?:-\d+)?$/;

/**
 * Uploads the WALs of offline runs (W&B's `wandb sync`). `dir` is a run folder
 * or a folder above run folders (searched two levels down). Each run is opened
 * from its WAL header, the files beside it are uploaded (an offline run's
 * whole `files/` folder: media and `save` copies; its `artifacts/` are logged
 * as versions; an online run's leftover `files/media/`), and its records streamed; a corrupt or torn WAL uploads
 * up to its last good record and reports the corruption in `error`. A run
 * folder already synced completely to the same server is skipped
 * (`up-to-date`). A WAL an online run left behind continues that run as it
 * is on the server: its state changes only by the records (an exit record),
 * never back to `running` (docs/wal.md). Throws `CohortError` NOT_FOUND when
 * `dir` does not exist.
 *
 * @example
 * const results = await syncRunDir('./.cohort');
 * const failed = results.filter((r) => r.error !== undefined);
 */
export async function syncRunDir(dir: string, options: SyncOptions = {}): Promise<SyncResult[]> {
  const env = readEnv();
  const url = options.url ?? env.url ?? DEFAULT_URL;
  const apiKey = options.apiKey ?? env.apiKey;
  const root = resolve(dir);
  if (!(await isDir(root))) throw new CohortError('NOT_FOUND', `sync: ${root} is not a folder (expected a run folder or a folder of run folders)`);
  const runDirs = await findRunDirs(root, 2);
  const results: SyncResult[] = [];
  if (runDirs.length === 0) return results;
  const endpoint = await resolveEndpoint(url, apiKey, 30_000, env.tlsCa);
  for (const runDir of runDirs) {
    results.push(await syncOne(runDir, endpoint, serverKey(endpoint), apiKey, options));
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
  /** The bytes of the last good record. */
  lastEntry: Uint8Array | undefined;
}

/** A validating pass over the WAL: counts good records per segment, finds the first corruption. */
async function scanWal(walDir: string): Promise<ScannedWal> {
  const out: ScannedWal = { header: undefined, segments: [], lastGoodSeq: 0, firstSeq: 0, corruption: undefined, lastEntry: undefined };
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
    if (scan.entries.length > 0) {
      out.lastGoodSeq = firstSeq + scan.entries.length - 1;
      out.lastEntry = scan.entries[scan.entries.length - 1]!.bytes;
    }
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

/** What `synced.json` remembers the server by: its gRPC address. */
function serverKey(endpoint: ServerEndpoint): string {
  return endpoint.grpcAddress;
}

async function syncOne(runDir: string, endpoint: ServerEndpoint, server: string, apiKey: string | undefined, options: SyncOptions): Promise<SyncResult> {
  const scanned = await scanWal(join(runDir, 'wal'));
  const runId = scanned.header?.open.runId ?? RUN_DIR_NAME.exec(basename(runDir))?.[1] ?? '';
  const corruptionText = scanned.corruption?.message;
  const result = (records: number, outcome: Exclude<SyncOutcome, 'failed'>, error: string | undefined): SyncResult =>
    error === undefined ? { runDir, runId, records, outcome } : { runDir, runId, records, outcome: 'failed', error };
  if (!scanned.header) {
    return result(0, 'empty', corruptionText ?? (scanned.segments.length === 0 ? undefined : 'WAL has no header'));
  }
  if (scanned.lastGoodSeq === 0 && scanned.segments.every((s) => s.count === 0)) return result(0, 'empty', corruptionText);
  await endVanishedWriter(runDir, scanned);
  const synced = await readSynced(runDir);
  if (synced !== undefined && synced.server === server && synced.committedSeq >= scanned.lastGoodSeq && !scanned.corruption) {
    return result(0, 'up-to-date', undefined);
  }

  const open = scanned.header.open;
  const offline = open.mode === 'offline';
  const client = connect(endpoint);
  try {
    let run = { entity: open.entity, project: open.project, runId: open.runId };
    const label = open.mode === 'shared' ? open.label : '';
    const target = scanned.lastGoodSeq;
    const openRunOnServer = async (): Promise<void> => {
      // An offline run is new to the server; an online run's WAL on a server that does not have it opens it there.
      const request: OpenRunRequestMessage = withOpenRunDefaults(
        offline ? { ...open, offline: true } : { ...open, resume: 'allow', resumeFrom: '', forkFrom: '', offline: false },
      );
      const response = await openRun(client, request, apiKey, 30_000);
      run = { entity: response.entity || open.entity, project: response.project || open.project, runId: response.runId || open.runId };
    };
    // An online run exists on its server: stream to it as it is (an OpenRun would resume it, flipping its state to running).
    if (offline) await openRunOnServer();
    // Files the run left beside its WAL go first, the records name them: an offline run's media, saved
    // files and artifacts; an online run's media whose upload failed.
    const uploadMedia = async (): Promise<void> => {
      const assets = new AssetClient(endpoint.grpcAddress, { apiKey, tlsCa: endpoint.tlsCa });
      try {
        await syncFilesDir({ client: assets, run }, join(runDir, 'files'), offline ? 'all' : 'media');
        if (offline) await syncOfflineArtifacts(assets, run, runDir);
      } finally {
        assets.close();
      }
    };
    if (offline) await uploadMedia();
    let upload = await streamWal(client, apiKey, { ...run, label }, new WalFileSource(scanned), target, runDir, runId, options);
    if (!offline && upload.failure?.code === 'NOT_FOUND' && upload.applied === undefined) {
      await openRunOnServer();
      await uploadMedia();
      upload = await streamWal(client, apiKey, { ...run, label }, new WalFileSource(scanned), target, runDir, runId, options);
    } else if (!offline && upload.failure === undefined) {
      await uploadMedia();
    }
    const applied = upload.applied ?? 0;
    const records = Math.max(0, Math.min(upload.committed, target) - applied);
    if (upload.failure) return result(records, 'uploaded', upload.failure.message);
    if (!scanned.corruption) await writeSynced(runDir, { committedSeq: target, server, run: `${run.entity}/${run.project}/${run.runId}` });
    return result(records, records > 0 ? 'uploaded' : 'up-to-date', corruptionText);
  } catch (err) {
    return result(0, 'uploaded', (err as Error).message);
  } finally {
    client.close();
  }
}

/**
 * A WAL without an exit record whose writer is gone (kill -9, the OOM
 * killer) gets one marking the run crashed, so the upload leaves the run as
 * it is, not `running` (docs/sdk.md, how a run ends). Nothing for a torn or
 * corrupt tail, a live writer, or a writer on another host.
 */
async function endVanishedWriter(runDir: string, scanned: ScannedWal): Promise<void> {
  const last = scanned.segments[scanned.segments.length - 1];
  if (scanned.corruption || !scanned.header || !last || scanned.lastEntry === undefined) return;
  if (decodeRecord(scanned.lastEntry).kind === 'exit' || !(await writerGone(runDir))) return;
  const open = scanned.header.open;
  const seq = scanned.lastGoodSeq + 1;
  const record = encodeRecord({ seq, kind: 'exit', exit: { exitCode: 0, updateFinishState: open.mode !== 'shared' || open.primary, crashed: true } });
  await appendFile(last.file, encodeFrames([record]));
  last.count++;
  scanned.lastGoodSeq = seq;
  scanned.lastEntry = record;
}

interface StreamOutcome {
  /** The seq the server had applied when the stream opened (`undefined` when it never opened). */
  applied: number | undefined;
  committed: number;
  failure: CohortError | undefined;
}

/** Streams the WAL's records after what the server applied, until it commits `target`, the stream fails, or `timeoutMs`. */
function streamWal(
  client: CoordinatorClient,
  apiKey: string | undefined,
  hello: { entity: string; project: string; runId: string; label: string },
  source: WalFileSource,
  target: number,
  runDir: string,
  runId: string,
  options: SyncOptions,
): Promise<StreamOutcome> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const out: StreamOutcome = { applied: undefined, committed: 0, failure: undefined };
  return new Promise<StreamOutcome>((resolveDone) => {
    const timer = setTimeout(() => {
      out.failure = new CohortError('DEADLINE_EXCEEDED', `the server did not commit seq ${target} within ${timeoutMs} ms`);
      finish();
    }, timeoutMs);
    const pump = new RecordPump({
      client,
      apiKey,
      hello,
      source,
      logger: options.logger ?? silentLogger,
      onOpened: (applied) => {
        out.applied ??= applied;
        out.committed = Math.max(out.committed, applied);
        if (applied >= target) finish();
      },
      onCommitted: (seq) => {
        out.committed = Math.max(out.committed, seq);
        options.onProgress?.({ runDir, runId, records: Math.max(0, Math.min(seq, target) - (out.applied ?? 0)), total: target - (out.applied ?? 0) });
        if (seq >= target) finish();
      },
      onFailed: (err) => {
        out.failure = err;
        finish();
      },
    });
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      pump.close();
      resolveDone(out);
    };
    pump.start();
  });
}

interface SyncedFile {
  committedSeq: number;
  /** The gRPC address of the server the records went to. */
  server: string;
  /** `entity/project/id` on that server. */
  run: string;
}

async function readSynced(runDir: string): Promise<SyncedFile | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(runDir, SYNCED_FILE), 'utf8'));
    if (parsed === null || typeof parsed !== 'object') return undefined;
    const { committedSeq, server, run } = parsed as Record<string, unknown>;
    // A file from before the server was recorded counts as none: syncing again doubles nothing.
    if (typeof committedSeq !== 'number' || typeof server !== 'string') return undefined;
    return { committedSeq, server, run: typeof run === 'string' ? run : '' };
  } catch {
    return undefined;
  }
}

async function writeSynced(runDir: string, synced: SyncedFile): Promise<void> {
  await writeFile(join(runDir, SYNCED_FILE), `${JSON.stringify(synced)}\n`);
}
