import { assertNever } from '@cohort/protocol';
import type { Logger } from './logger.js';
import type { PreemptionNoticeSettings } from './settings.js';

/** The default metadata endpoints of the cloud preemption notices. */
export const PREEMPTION_ENDPOINTS = {
  aws: 'http://169.254.169.254/latest/meta-data/spot/instance-action',
  gce: 'http://metadata.google.internal/computeMetadata/v1/instance/preempted',
  azure: 'http://169.254.169.254/metadata/scheduledevents?api-version=2020-07-01',
} as const;

/** A cloud whose notice came. */
export type PreemptionCloud = keyof typeof PREEMPTION_ENDPOINTS;

/**
 * Whether a metadata answer announces a preemption: AWS answers 200 with an
 * `instance-action` (404 otherwise), GCE answers `TRUE`, Azure lists a
 * `Preempt` event.
 */
export function isPreemptionNotice(cloud: PreemptionCloud, status: number, body: string): boolean {
  if (status !== 200) return false;
  switch (cloud) {
    case 'aws':
      return /"action"\s*:\s*"(terminate|stop|hibernate)"/i.test(body);
    case 'gce':
      return body.trim().toUpperCase() === 'TRUE';
    case 'azure':
      try {
        const events = (JSON.parse(body) as { Events?: Array<{ EventType?: string }> }).Events ?? [];
        return events.some((e) => e.EventType === 'Preempt');
      } catch {
        return false;
      }
    default:
      return assertNever(cloud, 'preemption cloud');
  }
}

/** Polls the configured notices until one comes (then calls `onNotice` once) or `close()`. */
export class PreemptionPoller {
  readonly #targets: Array<{ cloud: PreemptionCloud; url: string }> = [];
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #onNotice: (cloud: PreemptionCloud) => void;
  readonly #logger: Logger;
  #done = false;
  #polling = false;

  constructor(settings: PreemptionNoticeSettings, onNotice: (cloud: PreemptionCloud) => void, logger: Logger) {
    this.#onNotice = onNotice;
    this.#logger = logger;
    for (const cloud of ['aws', 'gce', 'azure'] as const) {
      const v = settings[cloud];
      if (v === true) this.#targets.push({ cloud, url: PREEMPTION_ENDPOINTS[cloud] });
      else if (typeof v === 'string') this.#targets.push({ cloud, url: v });
    }
    if (this.#targets.length > 0) {
      this.#timer = setInterval(() => void this.#poll(), settings.intervalMs ?? 5000);
      this.#timer.unref();
    }
  }

  async #poll(): Promise<void> {
    if (this.#done || this.#polling) return;
    this.#polling = true;
    try {
      for (const t of this.#targets) {
        try {
          const res = await fetch(t.url, {
            headers: t.cloud === 'gce' ? { 'Metadata-Flavor': 'Google' } : t.cloud === 'azure' ? { Metadata: 'true' } : {},
            signal: AbortSignal.timeout(2000),
          });
          const body = await res.text();
          if (!this.#done && isPreemptionNotice(t.cloud, res.status, body)) {
            this.#done = true;
            this.close();
            this.#onNotice(t.cloud);
            return;
          }
        } catch (err) {
          this.#logger.debug(`Polling the ${t.cloud} preemption notice failed: ${(err as Error).message}`);
        }
      }
    } finally {
      this.#polling = false;
    }
  }

  close(): void {
    this.#done = true;
    clearInterval(this.#timer);
  }
}
