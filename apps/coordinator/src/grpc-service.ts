import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CohortError, parseOpenRunRequest, type Limits } from '@cohort/protocol';
import type { Engine } from '@cohort/engine';
import type { CoordinatorHandlers } from './generated/cohort/v1/Coordinator.js';
import type { OpenRunResponse } from './generated/cohort/v1/OpenRunResponse.js';
import { loadService } from './load-service.js';
import { rejectMalformedRequests } from './malformed-requests.js';
import { toGrpcStatus, toPublicError } from './grpc-status.js';
import type { ApplyQueues } from './apply-queue.js';
import { RecordStream } from './record-stream.js';
import { runUrl } from './run-url.js';
import type { ServerInfoView } from './server-info.js';
import { peerAddress, type Access } from './auth/access.js';
import { callerOf, type StreamSlots } from './auth/stream-slots.js';

/** What the gRPC handlers need. */
export interface GrpcServiceDeps {
  engine: Engine;
  queues: ApplyQueues;
  limits: Readonly<Limits>;
  log: Logger;
  /** Authentication, rate limit and the entity of a request. */
  access: Access;
  /** Slots of `StreamRecords` calls, in all and per key; past them RESOURCE_EXHAUSTED. */
  slots: StreamSlots;
  /** How long a stream may stay open without its hello (DEADLINE_EXCEEDED after). */
  helloTimeoutMs: number;
  info(): ServerInfoView;
  /** False once the coordinator is closing: new streams are answered UNAVAILABLE. */
  accepting(): boolean;
}

/** The gRPC side of a coordinator: the server and its live record streams. */
export interface GrpcService {
  server: grpc.Server;
  streams: Set<RecordStream>;
}

/**
 * Creates the grpc-js server with the `cohort.v1.Coordinator` handlers. Every
 * handler turns errors into a status through `grpc-status.ts`; none lets an
 * error escape, so one bad client never affects another.
 */
export function createGrpcService(deps: GrpcServiceDeps): GrpcService {
  const { engine, log } = deps;
  const streams = new Set<RecordStream>();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': deps.limits.maxMessageBytes,
    'grpc.max_send_message_length': deps.limits.maxMessageBytes,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
    // Undecodable messages are INVALID_ARGUMENT, not grpc-js's INTERNAL (on every service of this server).
    interceptors: [rejectMalformedRequests],
  });

  const fail = (err: unknown, what: string) => {
    const error = toPublicError(err);
    if (error.unexpected) log.error({ err }, `${what} failed`);
    else log.debug({ code: error.code, reason: error.message }, `${what} rejected`);
    return toGrpcStatus(error);
  };

  const handlers: CoordinatorHandlers = {
    OpenRun(call, callback) {
      void (async () => {
        const principal = await deps.access.grpc(call.metadata, call.getPeer());
        const request = parseOpenRunRequest(call.request, deps.limits);
        // A run opened without an entity goes to the user's own entity (the server default without keys).
        const opened = await engine.openRun({ ...request, entity: deps.access.entity(principal, request.entity) });
        const response: OpenRunResponse = { ...opened, url: runUrl(deps.info().httpUrl, opened) };
        log.info({ run: `${opened.entity}/${opened.project}/${opened.runId}`, resumed: opened.resumed }, 'run opened');
        callback(null, response);
      })().catch((err: unknown) => callback(fail(err, 'OpenRun')));
    },

    StreamRecords(call) {
      if (!deps.accepting()) {
        call.emit('error', toGrpcStatus(toPublicError(new CohortError('UNAVAILABLE', 'the coordinator is shutting down'))));
        return;
      }
      try {
        deps.slots.checkFree();
      } catch (err) {
        call.emit('error', toGrpcStatus(toPublicError(err)));
        return;
      }
      // Paused until the caller is known, so no frame is read before.
      call.pause();
      deps.access
        .grpc(call.metadata, call.getPeer())
        .then((principal) => {
          // One key (or address) holds at most its share of the slots, so it cannot shut other teams out.
          const release = deps.slots.take(callerOf(principal, peerAddress(call.getPeer())));
          const stream = new RecordStream(call, {
            helloTimeoutMs: deps.helloTimeoutMs,
            queues: deps.queues,
            limits: deps.limits,
            log: log.child({ call: 'StreamRecords' }),
            resolveEntity: (entity) => deps.access.entity(principal, entity),
            recheck: () => deps.access.recheck(principal),
            runExists: async (run) => (await engine.getRun(run)) !== undefined,
            appliedSeq: (writer) => engine.appliedSeq(writer),
            heartbeat: async (run, at) => {
              await engine.heartbeat(run, at);
            },
            onClose: (s) => {
              streams.delete(s);
              release();
            },
          });
          streams.add(stream);
          stream.start();
          call.resume();
        })
        .catch((err: unknown) => call.emit('error', fail(err, 'StreamRecords')));
    },

    GetServerInfo(call, callback) {
      deps.access.grpc(call.metadata, call.getPeer()).then(
        () => callback(null, deps.info()),
        (err: unknown) => callback(fail(err, 'GetServerInfo')),
      );
    },
  };

  server.addService(loadService().cohort.v1.Coordinator.service, handlers);
  return { server, streams };
}
