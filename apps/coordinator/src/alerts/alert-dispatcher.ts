import type { Logger } from 'pino';
import type { Store } from '@cohort/store';
import { resolveAlertSink, type AlertPayload, type AlertSink, type AlertSinkOptions } from './alert-sinks.js';

/** Options of {@link AlertDispatcher}. */
export interface AlertDispatcherOptions {
  store: Store;
  sinks: readonly AlertSinkOptions[];
  log: Logger;
  /** The run page URL of a run (for the message). */
  runUrl(run: { entity: string; project: string; runId: string }): string;
  /** How often stored alerts are looked for. @defaultValue 1000 */
  pollMs?: number;
  /** Attempts per alert and sink before it becomes a dead letter. @defaultValue 5 */
  maxAttempts?: number;
  /** First retry delay, doubled after each failure. @defaultValue 500 */
  retryBaseMs?: number;
  /** Bound of one POST. @defaultValue 5000 */
  requestTimeoutMs?: number;
  /** Alerts older than this when the dispatcher starts are not delivered. @defaultValue 3600 */
  lookbackSeconds?: number;
  /** Alerts claimed per sink and poll. @defaultValue 50 */
  batchSize?: number;
}

/**
 * Delivers stored alerts to webhook and Slack sinks. The engine stores every
 * alert and marks the ones within `waitDuration` of the last one with that
 * title as suppressed, per run and group (`apply-batch.ts`), so suppression
 * holds across ranks and coordinators; only unsuppressed alerts are sent.
 *
 * Each alert is claimed per sink in the store (a lease), so several
 * coordinators deliver it once; a claim whose coordinator died expires and
 * another takes it. A failed POST is retried with doubling delays; after
 * `maxAttempts` the delivery is recorded `dead` with the last error (the dead
 * letter, listed by `GET /api/v1/alerts/deliveries?state=dead`).
 */
export class AlertDispatcher {
  readonly #o: Required<Omit<AlertDispatcherOptions, 'sinks'>>;
  readonly #sinks: AlertSink[];
  readonly #since: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  readonly #abort = new AbortController();

  constructor(options: AlertDispatcherOptions) {
    this.#sinks = options.sinks.map((s, i) => resolveAlertSink(s, i));
    this.#o = {
      store: options.store,
      log: options.log,
      runUrl: options.runUrl,
      pollMs: options.pollMs ?? 1000,
      maxAttempts: options.maxAttempts ?? 5,
      retryBaseMs: options.retryBaseMs ?? 500,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      lookbackSeconds: options.lookbackSeconds ?? 3600,
      batchSize: options.batchSize ?? 50,
    };
    this.#since = Date.now() / 1000 - this.#o.lookbackSeconds;
  }

  /** Starts polling (unref'd timer). */
  start(): void {
    if (this.#closed || this.#sinks.length === 0 || this.#timer) return;
    const tick = () => {
      this.#running = this.poll()
        .catch((err: unknown) => this.#o.log.warn({ err }, 'alert delivery poll failed'))
        .finally(() => {
          this.#running = undefined;
          if (!this.#closed) this.#timer = setTimeout(tick, this.#o.pollMs).unref();
        });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  /** One pass: claims and delivers what is waiting, for every sink. */
  async poll(): Promise<void> {
    await Promise.all(this.#sinks.map((sink) => this.#pollSink(sink)));
  }

  async #pollSink(sink: AlertSink): Promise<void> {
    const now = Date.now() / 1000;
    const lease = now + (this.#o.maxAttempts * (this.#o.requestTimeoutMs + this.#o.retryBaseMs * 2 ** this.#o.maxAttempts)) / 1000;
    const claimed = await this.#o.store.artifacts.claimAlerts(sink.name, this.#since, now, lease, this.#o.batchSize);
    for (const alert of claimed) {
      if (this.#closed) return;
      const run = await this.#o.store.getRunByPk(alert.runPk);
      const key = run ? { entity: run.entity, project: run.project, runId: run.runId } : { entity: '', project: '', runId: '' };
      const payload: AlertPayload = {
        alertId: alert.alertId,
        title: alert.title,
        text: alert.text,
        level: alert.level,
        timestamp: alert.timestamp,
        run: { ...key, url: run ? this.#o.runUrl(key) : '' },
      };
      let attempts = alert.attempts;
      let lastError = '';
      for (;;) {
        attempts++;
        try {
          await this.#post(sink, payload);
          await this.#o.store.artifacts.recordAlertDelivery(alert.alertId, sink.name, 'delivered', attempts, '', Date.now() / 1000);
          break;
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
          if (attempts >= this.#o.maxAttempts || this.#closed) {
            const state = attempts >= this.#o.maxAttempts ? 'dead' : 'claimed';
            await this.#o.store.artifacts.recordAlertDelivery(alert.alertId, sink.name, state, attempts, lastError, Date.now() / 1000);
            if (state === 'dead') this.#o.log.warn({ sink: sink.name, alertId: alert.alertId, attempts, error: lastError }, 'alert delivery failed; dead letter recorded');
            break;
          }
          await new Promise((r) => setTimeout(r, this.#o.retryBaseMs * 2 ** (attempts - 1)).unref());
        }
      }
    }
  }

  async #post(sink: AlertSink, payload: AlertPayload): Promise<void> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#o.requestTimeoutMs)]);
    const res = await fetch(sink.url, { method: 'POST', headers: { 'content-type': 'application/json', ...sink.headers }, body: sink.body(payload), signal });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`${sink.name} answered HTTP ${res.status}`);
  }

  /** Stops polling and waits for the pass in flight (its POSTs are aborted). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#running;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
