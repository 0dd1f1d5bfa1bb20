import type { Writable } from 'node:stream';

/**
 * The server's terminal output: pino's JSON lines for machines (a file, a
 * pipe, a log collector), or, on a terminal, one concise line a person reads:
 * `12:03:04.567 INFO  coordinator listening grpc=0.0.0.0:7711`.
 */

/** How the CLI writes its log: `pretty` on a terminal, `json` otherwise; `COHORT_LOG_FORMAT` decides when set. */
export function logFormat(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): 'json' | 'pretty' {
  const asked = env['COHORT_LOG_FORMAT'];
  if (asked === 'json' || asked === 'pretty') return asked;
  return isTTY ? 'pretty' : 'json';
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };
/** pino's own fields, shown in the line's head or not at all. */
const OWN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);
/** The longest value shown per field; the JSON format keeps every byte. */
const MAX_VALUE = 300;

function valueText(v: unknown): string {
  const text = typeof v === 'string' ? (/^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)) : JSON.stringify(v) ?? String(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

/** One pino JSON line as a person reads it; a line that is not pino JSON comes back as it is. */
export function prettyLine(json: string, color: boolean): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  if (o === null || typeof o !== 'object') return json;
  const level = typeof o['level'] === 'number' ? o['level'] : 30;
  const d = typeof o['time'] === 'number' ? new Date(o['time']) : undefined;
  // Local time of day to the millisecond: the terminal's reader's clock.
  const time = d ? `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}` : '';
  const name = LEVELS[level] ?? String(level);
  const head = color ? `\u001b[${COLORS[level] ?? '0'}m${name}\u001b[0m` : name;
  const err = o['err'] as { message?: unknown; stack?: unknown } | undefined;
  const fields = Object.entries(o)
    .filter(([k]) => !OWN.has(k) && k !== 'err')
    .map(([k, v]) => `${k}=${valueText(v)}`);
  const line = [time, head, String(o['msg'] ?? ''), ...fields].filter((p) => p !== '').join(' ');
  return err && typeof err.stack === 'string' ? `${line}\n${err.stack}` : err && err.message !== undefined ? `${line} err=${valueText(err.message)}` : line;
}

/** A stream for pino that writes each record to `out` as {@link prettyLine}. */
export function prettyStream(out: Writable & { isTTY?: boolean }): { write(chunk: string): boolean } {
  const color = out.isTTY === true && process.env['NO_COLOR'] === undefined;
  return {
    write(chunk: string): boolean {
      let text = '';
      for (const line of chunk.split('\n')) if (line !== '') text += `${prettyLine(line, color)}\n`;
      return out.write(text);
    },
  };
}
