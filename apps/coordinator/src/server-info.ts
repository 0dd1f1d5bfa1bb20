import { readFileSync } from 'node:fs';

/** What `GetServerInfo` and `GET /api/v1/info` answer: the HTTP API's shape (@cohort/protocol, http/server.ts). */
export type { ServerInfo as ServerInfoView } from '@cohort/protocol';

let version: string | undefined;

/** The coordinator's version, from its package.json (read once). */
export function coordinatorVersion(): string {
  if (version === undefined) {
    try {
      // src/ and dist/ both sit beside package.json.
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}

/** Formats `host:port`, bracketing an IPv6 host. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
