import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { torchrunEnv } from './dist-harness.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/console-process.mjs', import.meta.url));

/** Console capture end to end: a real rank process's stdout and stderr become its run's `output.log`. */
describe('console capture', () => {
  let runsDir: string;
  let coordinator: Coordinator;

  beforeAll(async () => {
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-console-'));
    coordinator = await startCoordinator({ grpcPort: 0, httpPort: 0 });
  });
  afterAll(async () => {
    await coordinator.close();
    await rm(runsDir, { recursive: true, force: true });
  });

  const runChild = async (group: string, extra: Record<string, string>): Promise<{ stdout: string; stderr: string }> => {
    const env = { PATH: process.env['PATH'] ?? '', COHORT_URL: coordinator.httpUrl, COHORT_DIR: runsDir, ...torchrunEnv(group, 1, 2), ...extra };
    return promisify(execFile)(process.execPath, [SCRIPT], { env });
  };

  it('streams stdout and stderr lines, labelled by rank, as output.log, without the SDK own warnings', async () => {
    const { stdout, stderr } = await runChild('console-on', {});
    // The process's own output is untouched.
    expect(stdout).toContain('hello from stdout');
    expect(stderr).toContain('oops on stderr');
    expect(stderr).toContain('cohort: warning:');
    const id = /ready (\S+)/.exec(stdout)![1]!;
    const res = await fetch(`${coordinator.httpUrl}/api/v1/runs/local/console/${id}/files/output.log`);
    expect(res.status).toBe(200);
    const log = await res.text();
    expect(log).toContain('[rank 1] hello from stdout\n');
    expect(log).toContain('[rank 1] oops on stderr\n');
    expect(log).not.toContain('cohort: warning');
    const lines = (await (await fetch(`${coordinator.httpUrl}/api/v1/runs/local/console/${id}/console`)).json()) as { lines: Array<{ stream: string; line: string }> };
    expect(lines.lines).toEqual(
      expect.arrayContaining([expect.objectContaining({ stream: 'stdout', line: 'hello from stdout' }), expect.objectContaining({ stream: 'stderr', line: 'oops on stderr' })]),
    );
  });

  it('captures nothing with console: off', async () => {
    const { stdout } = await runChild('console-off', { CONSOLE: 'off' });
    const id = /ready (\S+)/.exec(stdout)![1]!;
    const log = await (await fetch(`${coordinator.httpUrl}/api/v1/runs/local/console/${id}/files/output.log`)).text();
    expect(log).toBe('');
  });
});
