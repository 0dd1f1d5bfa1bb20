import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CohortError, parseOpenRunRequest, type Limits } from '@cohort/protocol';
import type { Engine } from '@cohort/engine';
import type { CoordinatorHandlers } from './generated/cohort/v1/Coordinator.js';
import type { OpenRunResponse } from './generated/cohort/v1/OpenRunResponse.js';
import { loadService } from './load-service.js';
import { toGrpcStatus, toPublicError } from './grpc-status.js';
import type { ApplyQueues } from './apply-queue.js';
import { RecordStream } from './record-stream.js';
import { runUrl } from './run-url.js';
import type { ServerInfoView } from './server-info.js';

/** What the gRPC handlers need. */
export interface GrpcServiceDeps {
  engine: Engine;
  queues: ApplyQueues;
  limits: Readonly<Limits>;
  log: Logger;
  defaultEntity: string;
  /** Most concurrent `StreamRecords` calls; more are answered RESOURCE_EXHAUSTED. */
  maxStreams: number;
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
        const request = parseOpenRunRequest(call.request, deps.limits);
        const opened = await engine.openRun(request);
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
      if (streams.size >= deps.maxStreams) {
        const err = new CohortError('RESOURCE_EXHAUSTED', `the coordinator serves at most ${deps.maxStreams} record streams at once; retry later`);
        call.emit('error', toGrpcStatus(toPublicError(err)));
        return;
      }
      const stream = new RecordStream(call, {
        queues: deps.queues,
        limits: deps.limits,
        log: log.child({ call: 'StreamRecords' }),
        defaultEntity: deps.defaultEntity,
        runExists: async (run) => (await engine.getRun(run)) !== undefined,
        appliedSeq: (writer) => engine.appliedSeq(writer),
        heartbeat: async (run, at) => {
          await engine.heartbeat(run, at);
        },
        onClose: (s) => streams.delete(s),
      });
      streams.add(stream);
      stream.start();
    },

    GetServerInfo(_call, callback) {
      callback(null, deps.info());
    },
  };

  server.addService(loadService().cohort.v1.Coordinator.service, handlers);
  return { server, streams };
}
