/**
 * Operations endpoints shared by Cohort's server processes (coordinator and
 * worker): Prometheus `/metrics`, and `/healthz` / `/readyz` for Kubernetes probes.
 *
 * @example
 * const ops = createOpsRoutes({ registry, live: () => true, checks: [{ name: 'redis', check: () => redis.ping() }] });
 */
export { createOpsRoutes, type OpsRoutesDeps, type ReadinessCheck } from './ops-routes.js';
export { LATENCY_BUCKETS, ProcessMetrics } from './process-metrics.js';
