import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { CohortError, RETRY_AFTER_METADATA, type ErrorCode } from '@cohort/protocol';

/**
 * The one table from a Cohort error code to its gRPC status and its HTTP
 * status. docs/errors.md explains each row; a test keeps both complete.
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, { grpc: GrpcStatus; http: number }>> = Object.freeze({
  INVALID_ARGUMENT: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400 },
  FAILED_PRECONDITION: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 409 },
  NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404 },
  ALREADY_EXISTS: { grpc: GrpcStatus.ALREADY_EXISTS, http: 409 },
  RESOURCE_EXHAUSTED: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 429 },
  UNAVAILABLE: { grpc: GrpcStatus.UNAVAILABLE, http: 503 },
  DEADLINE_EXCEEDED: { grpc: GrpcStatus.DEADLINE_EXCEEDED, http: 504 },
  UNAUTHENTICATED: { grpc: GrpcStatus.UNAUTHENTICATED, http: 401 },
  PERMISSION_DENIED: { grpc: GrpcStatus.PERMISSION_DENIED, http: 403 },
  DATA_LOSS: { grpc: GrpcStatus.DATA_LOSS, http: 500 },
  INTERNAL: { grpc: GrpcStatus.INTERNAL, http: 500 },
});

/** What a client is told about an error: a stable code and a message safe to show. */
export interface PublicError {
  code: ErrorCode;
  message: string;
  /** True when the error was not a `CohortError`: log it, the client only sees a generic message. */
  unexpected: boolean;
  /** A temporary refusal: the client may try again after this many milliseconds (`CohortError.retryAfterMs`). */
  retryAfterMs?: number;
}

/** The message a client sees for an error that was not thrown on purpose. */
export const INTERNAL_MESSAGE = 'internal error; the server log has the details';

/**
 * Classifies any thrown value. A `CohortError` keeps its code and message;
 * anything else becomes INTERNAL with a generic message, so that internals
 * (SQL, paths, stacks) never reach a client.
 */
export function toPublicError(err: unknown): PublicError {
  if (err instanceof CohortError) {
    return { code: err.code, message: err.message, unexpected: false, ...(err.retryAfterMs !== undefined && { retryAfterMs: err.retryAfterMs }) };
  }
  return { code: 'INTERNAL', message: INTERNAL_MESSAGE, unexpected: true };
}

/** Most characters of a gRPC status message: it travels in an HTTP/2 trailer, and messages may quote input. */
export const MAX_STATUS_DETAILS = 4096;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The gRPC status object (for `callback(err)` or `call.emit('error', ...)`) of an error. */
export function toGrpcStatus(error: PublicError): { code: GrpcStatus; details: string; metadata?: Metadata } {
  const message = error.message.length > MAX_STATUS_DETAILS ? `${error.message.slice(0, MAX_STATUS_DETAILS - 3)}...` : error.message;
  // grpc-js percent-encodes the details with encodeURI, which throws on a lone surrogate (quoted from the input):
  // the status is then never sent and the rejection is unhandled, which ends the process.
  const status = { code: ERROR_STATUS[error.code].grpc, details: message.replace(LONE_SURROGATE, '\uFFFD') };
  if (error.retryAfterMs === undefined) return status;
  const metadata = new Metadata();
  metadata.set(RETRY_AFTER_METADATA, String(Math.ceil(error.retryAfterMs)));
  return { ...status, metadata };
}

/** The HTTP status of an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return ERROR_STATUS[code].http;
}
