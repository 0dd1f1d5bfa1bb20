import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { CohortError } from '@cohort/protocol';
import { httpServerPart, NOTHING_TO_STOP, type Part } from '@cohort/ops';
import type { TlsOptions } from './auth/auth-options.js';
import { StreamSlots } from './auth/stream-slots.js';
import type { CoordinatorContext } from './coordinator-parts.js';
import { createGrpcService } from './grpc-service.js';
import { createHttpHandler } from './http-api.js';
import { createMetricsGate } from './metrics-gate.js';
import { RunStreams } from './run-stream.js';
import { formatHostPort } from './server-info.js';
import { createWebAssets } from './web-assets.js';

/** The host clients dial: the override, else the bind host, else this machine's name for a wildcard bind. */
function advertised(bindHost: string, override: string | undefined): string {
  if (override !== undefined) return override;
  return bindHost === '0.0.0.0' || bindHost === '::' ? hostname() : bindHost;
}

/** A port of its own for /metrics, /healthz and /readyz (`metricsPort`). */
export function metricsHttpPart(ctx: CoordinatorContext, metricsPort: number): Part {
  const host = ctx.opts.metricsHost;
  const server = createHttpServer((req, res) => {
    if (!ctx.ops(req, res)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('the metrics port serves /metrics, /healthz and /readyz\n');
    }
  });
  return httpServerPart('metrics-http', server, host, metricsPort, (port) => (ctx.served.metricsUrl = `http://${formatHostPort(host, port)}`));
}

/** The HTTP JSON API, live views and pages (HTTPS with `tls`). */
export function httpPart(ctx: CoordinatorContext): Part {
  return {
    name: 'http',
    start: async () => {
      const { opts, auth } = ctx;
      const { engine, access, assets } = ctx.served;
      const liveViews = new RunStreams({ engine });
      const api = createHttpHandler({
        engine,
        log: opts.logger.child({ component: 'http' }),
        defaultEntity: opts.defaultEntity,
        info: () => ctx.info,
        streams: liveViews,
        access,
        secure: auth.tls !== undefined,
        assets: assets.routes,
        ...(ctx.webDir !== null && { web: createWebAssets(ctx.webDir) }),
      });
      const gate = createMetricsGate({ ops: ctx.ops, access, separate: opts.metricsPort !== undefined });
      const onRequest = (req: IncomingMessage, res: ServerResponse) => {
        if (!gate(req, res)) api(req, res);
      };
      const server = auth.tls ? createHttpsServer({ cert: auth.tls.cert, key: auth.tls.key }, onRequest) : createHttpServer(onRequest);
      server.requestTimeout = 30_000;
      server.headersTimeout = 10_000;
      server.keepAliveTimeout = 5_000;
      const listening = await httpServerPart('http', server, opts.httpHost, opts.httpPort, (port) => {
        ctx.info = { ...ctx.info, httpUrl: `${auth.tls ? 'https' : 'http'}://${formatHostPort(advertised(opts.httpHost, opts.advertiseHost), port)}` };
      }).start();
      return {
        stop: async (deadline) => {
          // Live views (server-sent events) end first: HTTP then waits only for requests in flight.
          liveViews.close();
          await listening.stop(deadline);
        },
      };
    },
  };
}

/** The gRPC service the SDK streams records to; on stop, live streams are acked and ended, then the server shuts down (forced at the deadline). */
export function grpcPart(ctx: CoordinatorContext): Part {
  return {
    name: 'grpc',
    start: async () => {
      const { opts } = ctx;
      const { engine, queues, access, assets } = ctx.served;
      const service = createGrpcService({
        engine,
        queues,
        limits: opts.limits,
        log: opts.logger.child({ component: 'grpc' }),
        access,
        slots: new StreamSlots('record streams', opts.maxStreams, opts.maxStreamsPerKey),
        helloTimeoutMs: opts.helloTimeoutMs,
        info: () => ctx.info,
        accepting: () => ctx.accepting(),
      });
      assets.addTo(service.server);
      let port: number;
      try {
        port = await bindGrpc(service.server, opts.grpcHost, opts.grpcPort, ctx.auth.tls);
      } catch (err) {
        service.server.forceShutdown();
        throw err;
      }
      ctx.served.grpc = service;
      ctx.metrics.gauge('cohort_record_streams', 'Live record streams.', () => service.streams.size);
      ctx.info = { ...ctx.info, grpcAddress: formatHostPort(advertised(opts.grpcHost, opts.advertiseHost), port) };
      return {
        stop: async (deadline) => {
          // Live streams: pending batches are acked, then UNAVAILABLE so clients reconnect elsewhere.
          await Promise.race([Promise.allSettled([...service.streams].map((s) => s.shutdown())), deadline]);
          // A graceful shutdown bounded by the deadline, then forced.
          const graceful = new Promise<void>((r) => service.server.tryShutdown(() => r()));
          if ((await Promise.race([graceful, deadline])) === 'timeout') service.server.forceShutdown();
        },
      };
    },
  };
}

/** Alert delivery starts once the servers listen, so run URLs are known; the assets part stops it. */
export function alertsPart(ctx: CoordinatorContext): Part {
  return {
    name: 'alerts',
    start: async () => {
      ctx.served.assets.start();
      return NOTHING_TO_STOP;
    },
  };
}

function bindGrpc(server: grpc.Server, host: string, port: number, tls: TlsOptions | undefined): Promise<number> {
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], false)
    : grpc.ServerCredentials.createInsecure();
  return new Promise((resolvePort, reject) => {
    server.bindAsync(formatHostPort(host, port), credentials, (err, bound) => {
      if (err) reject(new CohortError('UNAVAILABLE', `cannot serve gRPC on ${formatHostPort(host, port)}: ${err.message}`, { cause: err }));
      else resolvePort(bound);
    });
  });
}
