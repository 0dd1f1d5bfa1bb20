import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { join } from 'node:path';
import { protosDir } from '@cohort/protocol';

/** One method of the coordinator's gRPC surface, callable with raw bytes. */
export interface RawMethod {
  /** `/cohort.v1.Coordinator/OpenRun` */
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  /** The real request serializer: a plain object (proto-loader shape) to bytes. */
  encode(message: object): Buffer;
  /** The real request deserializer (throws on bytes that do not decode). */
  decode(bytes: Buffer): unknown;
}

/** How one raw call ended. */
export interface RawOutcome {
  code: grpc.status;
  details: string;
  /** Messages the server sent before its status. */
  responses: number;
}

const LOADER = { longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [protosDir()] };

/** Every method of every service the coordinator serves, by path. */
export function loadMethods(): Map<string, RawMethod> {
  const methods = new Map<string, RawMethod>();
  for (const file of ['cohort/v1/service.proto', 'cohort/v1/blobs.proto', 'cohort/v1/artifacts.proto']) {
    const definition = protoLoader.loadSync(file, LOADER);
    for (const value of Object.values(definition)) {
      if ('format' in value) continue; // a message type, not a service
      for (const method of Object.values(value as protoLoader.ServiceDefinition)) {
        methods.set(method.path, {
          path: method.path,
          requestStream: method.requestStream,
          responseStream: method.responseStream,
          encode: (message) => method.requestSerialize(message),
          decode: (bytes) => method.requestDeserialize(bytes),
        });
      }
    }
  }
  return methods;
}

/** The protobufjs type of `cohort.v1.Record` (to encode records with hostile values, as the SDK's WAL would hold them). */
export function recordType(): protobuf.Type {
  return protobuf.loadSync(join(protosDir(), 'cohort/v1/records.proto')).lookupType('cohort.v1.Record');
}

/** A length-delimited protobuf field holding `bytes` as they are (for invalid UTF-8 in string fields). */
export function rawField(field: number, bytes: Uint8Array): Buffer {
  return Buffer.from(protobuf.Writer.create().uint32((field << 3) | 2).bytes(bytes).finish());
}

const passthrough = (b: Buffer): Buffer => b;

/**
 * Calls `method` with `messages` as raw bytes (a unary or server-streaming
 * method takes the first, or an empty message), half-closes, reads every
 * response, and resolves with the status. A deadline of `deadlineMs` bounds
 * it: DEADLINE_EXCEEDED means the server hung.
 */
export function callRaw(client: grpc.Client, method: RawMethod, messages: readonly Buffer[], deadlineMs: number): Promise<RawOutcome> {
  const options = { deadline: Date.now() + deadlineMs };
  const metadata = new grpc.Metadata();
  return new Promise((resolve) => {
    let responses = 0;
    const done = (err: grpc.ServiceError | null | undefined) =>
      resolve({ code: err ? err.code : grpc.status.OK, details: err ? err.details : '', responses });
    if (!method.requestStream && !method.responseStream) {
      client.makeUnaryRequest(method.path, passthrough, passthrough, messages[0] ?? Buffer.alloc(0), metadata, options, (err) => done(err));
      return;
    }
    if (method.requestStream && !method.responseStream) {
      const call = client.makeClientStreamRequest(method.path, passthrough, passthrough, metadata, options, (err) => done(err));
      for (const m of messages) call.write(m);
      call.end();
      return;
    }
    const call = method.requestStream
      ? client.makeBidiStreamRequest(method.path, passthrough, passthrough, metadata, options)
      : client.makeServerStreamRequest(method.path, passthrough, passthrough, messages[0] ?? Buffer.alloc(0), metadata, options);
    call.on('data', () => responses++);
    call.on('error', () => undefined); // the status below says it all
    call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details, responses }));
    if (method.requestStream) {
      const writable = call as grpc.ClientDuplexStream<Buffer, Buffer>;
      for (const m of messages) writable.write(m);
      writable.end();
    }
  });
}
