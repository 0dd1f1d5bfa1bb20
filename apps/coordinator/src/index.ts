/**
 * The Cohort coordinator: the gRPC service the SDK streams records to
 * (`cohort.v1.Coordinator`), and the HTTP JSON API and pages
 * (docs/http-api.md), over an embedded engine or, in scaled mode, PostgreSQL
 * reads and a BullMQ batch queue (docs/scaled-mode.md).
 *
 * @example
 * import { startCoordinator } from '@cohort/coordinator';
 * await using coordinator = await startCoordinator({ dataDir: './cohort-data', grpcPort: 0, httpPort: 0 });
 * console.log(`gRPC ${coordinator.grpcAddress}, dashboard ${coordinator.httpUrl}`);
 */
export { startCoordinator } from './coordinator.js';
export { parseCoordinatorOptions, type ResolvedCoordinatorOptions } from './coordinator-options.js';
export { OptionsError } from '@cohort/ops';
export { groupChecksTask, GROUP_CHECKS_SCHEDULER_ID } from './group-checks-task.js';
export type { GroupChecksTaskOptions } from './group-checks-task.js';
export type { Coordinator, CoordinatorState, CoordinatorStats } from './coordinator.js';
export type { CoordinatorOptions, ScaledModeOptions } from './coordinator-options.js';
export { batchJobId } from './scaled/batch-producer.js';
export { SWEEPER_SCHEDULER_ID, heartbeatSweeperTask } from './heartbeat-sweeper.js';
export { startLocalTasks, startSharedTasks } from './scheduled-tasks.js';
export type { ScheduledTask, ScheduledTasks } from './scheduled-tasks.js';
export { ERROR_STATUS, INTERNAL_MESSAGE, httpStatusOf, toGrpcStatus, toPublicError } from './grpc-status.js';
export type { PublicError } from './grpc-status.js';
export { LOADER_OPTIONS, loadService } from './load-service.js';
export { escapeHtml } from './html-pages.js';
export { runUrl } from './run-url.js';
export type { ServerInfoView } from './server-info.js';
export type { ProtoGrpcType } from './generated/service.js';
export type { ClientFrame } from './generated/cohort/v1/ClientFrame.js';
export type { ServerFrame__Output } from './generated/cohort/v1/ServerFrame.js';
export { API_ROUTES, matchApiRoute, openApiDocument, type ApiRoute } from './http-schemas.js';
export { DASHBOARD_CSP, defaultWebDir } from './web-assets.js';
export { AlertDispatcher, type AlertDispatcherOptions } from './alerts/alert-dispatcher.js';
export type { AlertPayload, AlertSinkOptions } from './alerts/alert-sinks.js';
export type { AssetOptions } from './artifacts/assets.js';
export type { AuthOptions, TlsOptions } from './auth/auth-options.js';
export type { AuthMode } from './auth/bind-policy.js';
export { isLoopback, resolveAuthMode } from './auth/bind-policy.js';
export type { RateLimit } from './auth/rate-limiter.js';
export { DEFAULT_RATE_LIMIT } from './auth/rate-limiter.js';
export { generateApiKey, parseApiKey } from './auth/api-key.js';
export type { NewKey } from './auth/api-key.js';
