import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Artifact, init } from '@cohort/sdk';
import { SqliteStore } from '@cohort/store';

/** What the fuzzers attack: a live embedded coordinator holding a few real runs. */
export interface FuzzServer extends AsyncDisposable {
  readonly coordinator: Coordinator;
  readonly blobDir: string;
  /** The runs the SDK logged, all finished: `local/<project>/<runId>`. */
  readonly runs: ReadonlyArray<{ entity: string; project: string; runId: string; steps: number }>;
  /** The digest of a blob the store holds, and the artifact that names it. */
  readonly blob: string;
  readonly artifact: string;
  /** The store's content (every table, every row) and the blob folder's files, as one text. */
  snapshot(): Promise<string>;
}

/** Steps each seeded run logs. */
const STEPS = 40;

/**
 * Starts an embedded coordinator on port 0 (SQLite and blobs in a temporary
 * folder) and logs two finished runs through the SDK, with config, summary,
 * a saved file and an artifact, so hostile input has real rows to reach for.
 */
export async function startFuzzServer(): Promise<FuzzServer> {
  const work = await mkdtemp(join(tmpdir(), 'cohort-fuzz-'));
  const blobDir = join(work, 'blobs');
  const coordinator = await startCoordinator({ dataDir: join(work, 'data'), blobDir, grpcPort: 0, httpPort: 0, grpcHost: '127.0.0.1', httpHost: '127.0.0.1' });
  const previousUrl = process.env['COHORT_URL'];
  process.env['COHORT_URL'] = coordinator.httpUrl;
  try {
    const runs = [];
    let blob = '';
    for (const runId of ['seed-a', 'seed-b']) {
      const run = await init({ project: 'fuzz', id: runId, dir: join(work, 'runs'), config: { lr: 0.1, nested: { depth: 2 } }, settings: { silent: true, flushIntervalMs: 5 } });
      run.defineMetric('loss', { summary: 'min,max,last' });
      for (let step = 0; step < STEPS; step++) run.log({ loss: 1 / (step + 1), acc: step / STEPS, phase: step % 2 ? 'odd' : 'even', 'a.b': { c: step } });
      run.summary.set('best', 0.5);
      if (runId === 'seed-a') {
        const file = join(work, 'weights.bin');
        await writeFile(file, 'seed weights\n');
        const artifact = new Artifact('seed-model', 'model');
        artifact.addFile(file);
        await run.logArtifact(artifact);
        blob = createHash('sha256').update('seed weights\n').digest('hex');
      }
      await run.finish();
      runs.push({ entity: 'local', project: 'fuzz', runId, steps: STEPS });
    }
    const store = coordinator.engine.store;
    if (!(store instanceof SqliteStore)) throw new Error('the fuzz server runs embedded, over SQLite');
    return {
      coordinator,
      blobDir,
      runs,
      blob,
      artifact: 'seed-model',
      snapshot: async () => `${dumpDatabase(store)}\n${await dumpFiles(blobDir)}`,
      async [Symbol.asyncDispose]() {
        if (previousUrl === undefined) delete process.env['COHORT_URL'];
        else process.env['COHORT_URL'] = previousUrl;
        await coordinator.close();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await coordinator.close();
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

/** Every row of every table, in rowid order (BLOBs as hex). */
function dumpDatabase(store: SqliteStore): string {
  const db = store.database;
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>;
  const out: string[] = [];
  for (const { name } of tables) {
    const rows = db.prepare(`SELECT * FROM "${name}"`).raw().all() as unknown[][];
    out.push(`## ${name} (${rows.length})`);
    for (const row of rows) out.push(JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? String(v) : v)));
  }
  return out.join('\n');
}

/** Each file under `dir` with the sha256 of its bytes. */
async function dumpFiles(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
  const out = [`## files under the blob folder (${files.length})`];
  for (const f of files) out.push(`${f.slice(dir.length)} ${createHash('sha256').update(await readFile(f)).digest('hex')}`);
  return out.join('\n');
}
