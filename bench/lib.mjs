// Helpers shared by the benchmarks: timing, medians, a table printer and a
// coordinator started in its own process (so the SDK and the server each get a core).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../apps/cli/dist/main.js', import.meta.url));

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmt(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Prints rows of equal-length arrays as a Markdown table. */
export function printTable(title, header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(all[0]));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const r of all.slice(1)) console.log(line(r));
}

/** Starts `cohort server` on free ports in a child process; resolves when it prints its ready line. */
export async function startServerProcess(dataDir, extraEnv = {}, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'server', '--data', dataDir, '--grpc-port', '0', '--http-port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, COHORT_LOG_LEVEL: 'warn', ...extraEnv },
  });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const m = /^cohort server ready grpc=(\S+) http=(\S+) data=(.+)$/.exec(line);
    if (m) {
      return {
        grpcAddress: m[1],
        httpUrl: m[2],
        async stop() {
          child.kill('SIGTERM');
          if (child.exitCode === null) await once(child, 'exit');
        },
      };
    }
  }
  throw new Error('cohort server exited before it was ready');
}
