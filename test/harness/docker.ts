import { execFile } from 'node:child_process';

/** True when a Docker engine answers (not merely when the client is installed). */
export function dockerRuns(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000 }, (err, stdout) => {
      resolve(!err && stdout.trim().length > 0);
    });
  });
}
