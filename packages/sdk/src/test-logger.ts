import type { Logger } from './logger.js';

/** A logger that records what it is given, for tests. */
export function recordingLogger(): Logger & { readonly lines: Array<[level: string, message: string]> } {
  const lines: Array<[string, string]> = [];
  return {
    lines,
    debug: (m) => lines.push(['debug', m]),
    info: (m) => lines.push(['info', m]),
    warn: (m) => lines.push(['warn', m]),
    error: (m) => lines.push(['error', m]),
  };
}
