import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';

/** What a request deserializer returns for bytes that are not the message it expects. */
class MalformedRequest {
  constructor(readonly reason: string) {}
}

/**
 * Makes every request deserializer of a loaded package definition return a
 * marker instead of throwing on bytes that do not decode: grpc-js answers a
 * throwing deserializer with INTERNAL, which says the server broke, when it
 * was the request. {@link rejectMalformedRequests} turns the marker into
 * INVALID_ARGUMENT. Call it on a definition before `loadPackageDefinition`.
 */
export function tolerateMalformedRequests<T extends protoLoader.PackageDefinition>(definition: T): T {
  for (const value of Object.values(definition)) {
    if ('format' in value) continue; // a message type, not a service
    for (const method of Object.values(value as protoLoader.ServiceDefinition)) {
      const decode = method.requestDeserialize;
      method.requestDeserialize = (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (err) {
          return new MalformedRequest(err instanceof Error ? err.message : String(err));
        }
      };
    }
  }
  return definition;
}

/**
 * A server interceptor that answers INVALID_ARGUMENT, naming the method, to a
 * message that did not decode (see {@link tolerateMalformedRequests}); the
 * handler never sees it.
 */
export const rejectMalformedRequests: grpc.ServerInterceptor = (method, call) =>
  new grpc.ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMessage(message: unknown, forward) {
          if (!(message instanceof MalformedRequest)) {
            forward(message);
            return;
          }
          const type = method.path.split('/').pop() ?? method.path;
          call.sendStatus({ code: grpc.status.INVALID_ARGUMENT, details: `${type}: the request is not a valid protobuf message (${message.reason.slice(0, 200)})`, metadata: new grpc.Metadata() });
        },
      });
    },
  });
