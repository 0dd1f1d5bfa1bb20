import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Runs the Python client's pytest suite (clients/python/tests, which includes
 * the Python half of the cases.json table) as one real process, so `npm test`
 * covers it. Needs Debian's python3-pytest and the built CLI (`npm run build`);
 * torch and numpy are used when installed.
 */
const root = join(import.meta.dirname, '..', '..');
const PYTHON = process.env['COHORT_TEST_PYTHON'] ?? '/usr/bin/python3';
const LIMIT_MS = 540_000;

function pytest(selection: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...selection], {
      cwd: root,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-200_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS - 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function expectPytestPasses(selection: readonly string[]): Promise<void> {
  expect(existsSync(join(root, 'apps/cli/dist/main.js')), 'the agent is the built CLI: run `npm run build` first').toBe(true);
  const { code, output } = await pytest(selection);
  if (/No module named pytest/.test(output)) {
    throw new Error(`pytest is missing for ${PYTHON}: apt-get install -y python3-pytest (or set COHORT_TEST_PYTHON)`);
  }
  const summary = /\n=*\s*([^\n]*\b(passed|failed|error)[^\n]*)\s*=*\s*$/.exec(output)?.[1] ?? output.slice(-2000);
  expect(code, `pytest ${selection.join(' ')} exited ${String(code)} (${summary}):\n${output.slice(-20_000)}`).toBe(0);
  expect(summary).toMatch(/\d+ passed/);
  expect(summary).not.toMatch(/failed|error|skipped/);
}

describe('the Python client (clients/python)', () => {
  // One pytest session, one server: the cases.json table through the agent, the client against the server,
  // and DDP on gloo under PyTorch's torchrun (Debian's python3-torch): groups, watch, a model artifact,
  // SIGTERM of the job, kill -9 of a rank (started first, its wait for the heartbeat watcher overlapping the rest).
  it('passes its pytest suite against a real server and the agent', () => expectPytestPasses(['clients/python/tests']), LIMIT_MS);
});
