import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Latency buckets of the server processes' histograms, in seconds: 1 ms to 60 s. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);

/**
 * The Prometheus registry of one server process (coordinator or worker), with
 * Node's default metrics; a registry of its own, so several servers in one
 * process (as in tests) never share one. Subclasses add their counters to
 * `registry`; `GET /metrics` serves it (`createOpsRoutes`).
 */
export class ProcessMetrics {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** A gauge read on each scrape. */
  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  /** A labelled gauge read on each scrape. */
  labelledGauge(name: string, help: string, labelNames: string[], read: () => Promise<Array<[Record<string, string>, number]>>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [labels, value] of await read()) this.set(labels, value);
      },
    });
  }
}
