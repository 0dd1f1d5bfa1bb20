import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Api } from '@cohort/sdk';

/** What {@link embeddedServer} gives the tests of a `describe`. */
export interface EmbeddedServer {
  /** The coordinator (embedded mode, SQLite in a temporary folder); `COHORT_URL` points at it. */
  readonly coordinator: Coordinator;
  /** An `Api` of the coordinator. */
  readonly api: Api;
  /** A temporary folder for the SDK's run folders. */
  readonly runsDir: string;
}

/**
 * Registers, in the calling `describe`, hooks that start one embedded
 * coordinator for its tests (and close it and remove its data after), and a
 * runs folder made per file (`runsDir: 'file'`) or per test (`'test'`). Read
 * the fields inside hooks and tests, once they ran.
 *
 * @example
 * const server = embeddedServer('file');
 * it('...', async () => { const run = await init({ dir: server.runsDir }); ... await server.api.run(...); });
 */
export function embeddedServer(runsDir: 'file' | 'test'): EmbeddedServer {
  let dataDir: string | undefined;
  let coordinator: Coordinator | undefined;
  let api: Api | undefined;
  let runs: string | undefined;
  const makeRunsDir = async () => {
    runs = await mkdtemp(join(tmpdir(), 'cohort-e2e-runs-'));
  };
  const removeRunsDir = async () => {
    if (runs !== undefined) await rm(runs, { recursive: true, force: true });
  };
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-e2e-data-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    process.env['COHORT_URL'] = coordinator.httpUrl;
    api = new Api({ baseUrl: coordinator.httpUrl });
    if (runsDir === 'file') await makeRunsDir();
  });
  afterAll(async () => {
    await coordinator?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    if (runsDir === 'file') await removeRunsDir();
  });
  if (runsDir === 'test') {
    beforeEach(makeRunsDir);
    afterEach(removeRunsDir);
  }
  const ready = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`embeddedServer: ${name} is read before its beforeAll/beforeEach ran`);
    return value;
  };
  return {
    get coordinator() {
      return ready(coordinator, 'coordinator');
    },
    get api() {
      return ready(api, 'api');
    },
    get runsDir() {
      return ready(runs, 'runsDir');
    },
  };
}
