import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  CohortError,
  protosDir,
  RETRY_AFTER_METADATA,
  UsageError,
  withOpenRunResponseDefaults,
  type ErrorCode,
  type OpenRunRequestMessage,
  type OpenRunResponseMessage,
} from '@cohort/protocol';
import { channelFor } from './channel-security.js';

/** The one set of proto-loader options the SDK uses. */
export const LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** A frame the client writes on `StreamRecords`. */
export type ClientFrame =
  | { hello: { entity: string; project: string; runId: string; label: string } }
  | { batch: { records: Buffer[] } }
  | { heartbeat: { timestamp: number } };

/** A frame the server writes on `StreamRecords`, as proto-loader decodes it. */
export interface ServerFrame {
  ack?: { committedSeq: string | number } | null;
}

/** The dynamic `cohort.v1.Coordinator` client, typed for what the SDK calls. */
export interface CoordinatorClient extends grpc.Client {
  OpenRun(
    request: OpenRunRequestMessage,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: Record<string, unknown>) => void,
  ): grpc.ClientUnaryCall;
  StreamRecords(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<ClientFrame, ServerFrame>;
  GetServerInfo(
    request: Record<string, never>,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: Record<string, unknown>) => void,
  ): grpc.ClientUnaryCall;
}

type CoordinatorConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => CoordinatorClient;

let ctor: CoordinatorConstructor | undefined;

/** The client constructor, loaded once from `packages/protocol/protos/cohort/v1/service.proto`. The one cast lives here. */
function coordinatorConstructor(): CoordinatorConstructor {
  if (!ctor) {
    const definition = protoLoader.loadSync('cohort/v1/service.proto', { ...LOADER_OPTIONS, includeDirs: [protosDir()] });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      cohort: { v1: { Coordinator: CoordinatorConstructor } };
    };
    ctor = loaded.cohort.v1.Coordinator;
  }
  return ctor;
}

/** Creates a client for a coordinator at `host:port` (plaintext) or `grpcs://host:port` (TLS, trusting `ca` when given). */
export function createCoordinatorClient(target: string, ca?: Buffer): CoordinatorClient {
  const Client = coordinatorConstructor();
  const { address, credentials } = channelFor(target, ca);
  return new Client(address, credentials, {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_send_message_length': 16 * 1024 * 1024,
  });
}

/** What a refused key asks the user to do. */
export const API_KEY_HINT = 'Set COHORT_API_KEY (or `init({ apiKey })`) to a key of this server (`cohort keys create`).';

/** Call metadata carrying the API key, if any. */
export function authMetadata(apiKey: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (apiKey !== undefined) md.set('authorization', `Bearer ${apiKey}`);
  return md;
}

/** gRPC status → Cohort error code: the one table the SDK maps errors back with. */
const STATUS_TO_CODE: Readonly<Partial<Record<grpc.status, ErrorCode>>> = {
  [grpc.status.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [grpc.status.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [grpc.status.NOT_FOUND]: 'NOT_FOUND',
  [grpc.status.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [grpc.status.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  [grpc.status.UNAVAILABLE]: 'UNAVAILABLE',
  [grpc.status.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [grpc.status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [grpc.status.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [grpc.status.DATA_LOSS]: 'DATA_LOSS',
  [grpc.status.INTERNAL]: 'INTERNAL',
  [grpc.status.CANCELLED]: 'UNAVAILABLE',
  [grpc.status.ABORTED]: 'UNAVAILABLE',
};

/** Status codes after which the record stream reconnects; any other ends it. */
export const RETRYABLE_STATUS: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.CANCELLED,
  grpc.status.ABORTED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.OK,
]);

/** Turns a gRPC error into a `CohortError` with the matching code (`UsageError` for resume preconditions). */
export function fromGrpcError(err: grpc.ServiceError | Error, what: string): CohortError {
  const status = (err as grpc.ServiceError).code;
  const code = (status !== undefined ? STATUS_TO_CODE[status] : undefined) ?? 'INTERNAL';
  const details = (err as grpc.ServiceError).details || err.message;
  // Resume preconditions (`must` on a missing run, `never` on an existing one) are W&B's UsageError.
  if (code === 'FAILED_PRECONDITION') return new UsageError(`${what}: ${details}`, { cause: err });
  const hint = code === 'UNAUTHENTICATED' ? `. ${API_KEY_HINT}` : '';
  const retryAfterMs = Number((err as grpc.ServiceError).metadata?.get(RETRY_AFTER_METADATA)[0]);
  return new CohortError(code, `${what}: ${details}${hint}`, { cause: err, ...(Number.isFinite(retryAfterMs) && retryAfterMs >= 0 && { retryAfterMs }) });
}

/** Calls `OpenRun` with a deadline; errors become `CohortError`s. */
export function openRun(
  client: CoordinatorClient,
  request: OpenRunRequestMessage,
  apiKey: string | undefined,
  timeoutMs: number,
): Promise<OpenRunResponseMessage> {
  return new Promise((resolve, reject) => {
    client.OpenRun(request, authMetadata(apiKey), { deadline: Date.now() + timeoutMs }, (err, response) => {
      if (err) return reject(fromGrpcError(err, 'OpenRun failed'));
      const r = response ?? {};
      resolve(
        withOpenRunResponseDefaults({
          ...(r as Partial<OpenRunResponseMessage>),
          appliedSeq: Number(r['appliedSeq'] ?? 0),
        }),
      );
    });
  });
}

/** Calls `GetServerInfo` (for a bare `host:port` `COHORT_URL`). */
export function getServerInfo(
  client: CoordinatorClient,
  apiKey: string | undefined,
  timeoutMs: number,
): Promise<{ version: string; grpcAddress: string; httpUrl: string; defaultEntity: string }> {
  return new Promise((resolve, reject) => {
    client.GetServerInfo({}, authMetadata(apiKey), { deadline: Date.now() + timeoutMs }, (err, response) => {
      if (err) return reject(fromGrpcError(err, 'GetServerInfo failed'));
      const r = (response ?? {}) as Record<string, string>;
      resolve({ version: r['version'] ?? '', grpcAddress: r['grpcAddress'] ?? '', httpUrl: r['httpUrl'] ?? '', defaultEntity: r['defaultEntity'] ?? '' });
    });
  });
}
