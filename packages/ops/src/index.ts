/**
 * What Cohort's server processes (coordinator and worker) share: Prometheus
 * `/metrics`, `/healthz` / `/readyz` for Kubernetes probes, the one schema of
 * their options, and their lifecycle as an ordered list of parts.
 *
 * @example
 * const ops = createOpsRoutes({ registry, live: () => true, checks: [{ name: 'redis', check: () => redis.ping() }] });
 */
export { createOpsRoutes, type OpsRoutesDeps, type ReadinessCheck } from './ops-routes.js';
export { LATENCY_BUCKETS, ProcessMetrics } from './process-metrics.js';
export { startParts, NOTHING_TO_STOP, type Deadline, type Part, type PartsLog, type StartedParts, type StartPartsOptions, type Stoppable } from './parts.js';
export { formatHostPort, httpServerPart, listenHttp } from './http-part.js';
export { OptionsError, parseOptions } from './option-rules.js';
export { coordinatorOptionsSchema, scaledModeOptionsSchema, workerOptionsSchema, type CheckedCoordinatorOptions, type CheckedWorkerOptions } from './server-options.js';
export { REDIS_URL_FORMS, REDIS_URL_PATTERN, parseRedisUrl, queueConnection, queuePrefixFor, redactRedisUrl, type QueueConnection, type QueueRedisOptions, type RedisRole, type RedisTarget } from './redis-connection.js';
export { CLUSTER_SLOTS, MAX_QUEUE_SHARDS, QUEUE_SHARDS_CHECK_MS, agreeOnQueueShards, keySlot, queueShardLabel, queueShardOf, queueShardPrefixes, serveQueueShardsGauge, type QueueShardsCheck, type QueueShardsLog, type QueueShardsWatch, type ScriptClient } from './queue-shards.js';
