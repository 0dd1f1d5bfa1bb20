import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, readFile, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./fixtures/blob-rss.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** The kernel's peak resident set of a live process (Linux `VmHWM`), or undefined elsewhere. */
async function peakRss(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const m = status && /^VmHWM:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * A 2 GiB file goes up and comes back through the Blobs service while the
 * uploading process (a real child reading its own peak RSS) stays under
 * 200 MiB, and so does the coordinator serving it (`cohort server`, another
 * child). Both run under `nice` so the rest of the suite keeps its CPU.
 */
describe('large blobs', () => {
  let dir: string;
  let server: ChildProcess;
  let grpcAddress: string;

  beforeAll(async () => {
    // RAM-backed /dev/shm where it has room: the test measures memory, not this machine's disk.
    const shm = await statfs('/dev/shm').catch(() => undefined);
    const parent = shm && shm.bavail * shm.bsize > 6 * GiB ? '/dev/shm' : tmpdir();
    dir = await mkdtemp(join(parent, 'cohort-large-'));
    server = spawn('nice', ['-n', '19', process.execPath, CLI, 'server', '--data', join(dir, 'data'), '--grpc-port', '0', '--http-port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, COHORT_LOG_LEVEL: 'warn' },
    });
    for await (const line of createInterface({ input: server.stdout! })) {
      const m = /^cohort server ready grpc=(\S+)/.exec(line);
      if (m) {
        grpcAddress = m[1]!;
        break;
      }
    }
    if (!grpcAddress) throw new Error('cohort server exited before it was ready');
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads and downloads 2 GiB with bounded memory on both sides', async () => {
    const file = join(dir, 'big.bin');
    // Sparse: 2 GiB of zeros with a few marked bytes, made without writing 2 GiB.
    const fh = await open(file, 'w');
    await fh.truncate(2 * GiB);
    for (const at of [0, GiB, 2 * GiB - 16]) await fh.write(Buffer.from('cohort-large-b16'), 0, 16, at);
    await fh.close();

    const serverBase = (await peakRss(server.pid!)) ?? 0;
    const { stdout } = await promisify(execFile)('nice', ['-n', '19', process.execPath, SCRIPT, grpcAddress, file, join(dir, 'back.bin')], { maxBuffer: MiB });
    const r = JSON.parse(stdout) as { bytes: number; uploadMs: number; downloadMs: number; peakRssBytes: number; baseRssBytes: number };
    expect(r.bytes).toBe(2 * GiB);
    expect((await stat(join(dir, 'back.bin'))).size).toBe(2 * GiB);
    expect(r.peakRssBytes).toBeLessThan(200 * MiB);
    const serverPeak = await peakRss(server.pid!);
    if (serverPeak !== undefined) expect(serverPeak).toBeLessThan(Math.max(serverBase, 100 * MiB) + 200 * MiB);
  }, 120_000);
});
