import { invalidArgument } from '@cohort/protocol';

/** A place alerts are delivered to. */
export interface AlertSinkOptions {
  /** `webhook`: a JSON POST of the alert; `slack`: a Slack-compatible incoming webhook (`{ text }`). */
  kind: 'webhook' | 'slack';
  /** The http(s) URL to POST to. */
  url: string;
  /** Names the sink in delivery records. @defaultValue `<kind>:<host>` */
  name?: string;
  /** Extra request headers (e.g. an Authorization header). */
  headers?: Readonly<Record<string, string>>;
}

/** An alert as a sink receives it. */
export interface AlertPayload {
  alertId: number;
  title: string;
  text: string;
  level: string;
  /** Seconds since the epoch. */
  timestamp: number;
  run: { entity: string; project: string; runId: string; url: string };
}

/** A resolved sink. */
export interface AlertSink {
  readonly name: string;
  readonly kind: 'webhook' | 'slack';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The request body for an alert. */
  body(alert: AlertPayload): string;
}

const LEVEL_EMOJI: Readonly<Record<string, string>> = { INFO: ':information_source:', WARN: ':warning:', ERROR: ':rotating_light:' };

/** Checks a sink's options and returns it resolved. */
export function resolveAlertSink(options: AlertSinkOptions, index: number): AlertSink {
  const field = `alertSinks[${index}]`;
  if (options.kind !== 'webhook' && options.kind !== 'slack') {
    throw invalidArgument(`Expected \`${field}.kind\` to be "webhook" or "slack", got ${JSON.stringify(options.kind)}`);
  }
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw invalidArgument(`Expected \`${field}.url\` to be an http(s) URL, got ${JSON.stringify(options.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidArgument(`Expected \`${field}.url\` to be an http(s) URL, got ${url.protocol}`);
  const name = options.name ?? `${options.kind}:${url.host}`;
  if (name.length === 0 || name.length > 128) throw invalidArgument(`Expected \`${field}.name\` to be 1 to 128 characters`);
  return {
    name,
    kind: options.kind,
    url: url.toString(),
    headers: { ...options.headers },
    body:
      options.kind === 'webhook'
        ? (a) => JSON.stringify(a)
        : (a) => {
            const where = a.run.url !== '' ? `<${a.run.url}|${a.run.entity}/${a.run.project}/${a.run.runId}>` : `${a.run.entity}/${a.run.project}/${a.run.runId}`;
            return JSON.stringify({ text: `${LEVEL_EMOJI[a.level] ?? ''} *${a.title}* (${a.level})\n${a.text}\n${where}` });
          },
  };
}
