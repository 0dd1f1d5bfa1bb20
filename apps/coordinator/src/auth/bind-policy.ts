import { CohortError } from '@cohort/protocol';

/** Whether requests need API keys: `'keys'`, or `'none'` (only on a loopback server). */
export type AuthMode = 'keys' | 'none';

/** Whether a bind host only takes connections from this machine: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The auth mode of a server bound to `hosts` (gRPC and HTTP): `'none'` by
 * default only when every bind is loopback, else `'keys'`. `'none'` on a
 * non-loopback bind is refused: anyone who can reach it could read and write
 * every team's runs.
 */
export function resolveAuthMode(requested: AuthMode | undefined, hosts: readonly string[]): AuthMode {
  if (requested !== undefined && requested !== 'keys' && requested !== 'none') {
    throw new CohortError('INVALID_ARGUMENT', `Expected \`auth\` to be "keys" or "none", got ${JSON.stringify(requested)}`);
  }
  const open = hosts.filter((h) => !isLoopback(h));
  if (requested === 'none' && open.length > 0) {
    throw new CohortError(
      'FAILED_PRECONDITION',
      `auth: "none" is only allowed on a loopback bind (127.0.0.1, ::1, localhost), but the server binds ${open.join(' and ')}, where anyone who reaches it could read every team's runs; ` +
        'use `--auth keys` (the default there) and create keys with `cohort keys create --user <name>`, or bind 127.0.0.1',
    );
  }
  return requested ?? (open.length > 0 ? 'keys' : 'none');
}
