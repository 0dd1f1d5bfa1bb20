import * as grpc from '@grpc/grpc-js';

/**
 * A gRPC target as the SDK writes it: `host:port` (plaintext),
 * `grpcs://host:port` (TLS), or `grpc://host:port`. An `https://` `COHORT_URL`
 * makes the gRPC address TLS too (one certificate serves both).
 */
export function splitGrpcTarget(target: string): { address: string; tls: boolean } {
  const m = /^(grpcs?):\/\/(.+)$/i.exec(target);
  if (!m) return { address: target, tls: false };
  return { address: m[2]!.replace(/\/+$/, ''), tls: m[1]!.toLowerCase() === 'grpcs' };
}

/** The address and channel credentials of a target; `ca` (PEM) replaces the system's roots under TLS. */
export function channelFor(target: string, ca: Buffer | undefined): { address: string; credentials: grpc.ChannelCredentials } {
  const { address, tls } = splitGrpcTarget(target);
  return { address, credentials: tls ? grpc.credentials.createSsl(ca ?? null) : grpc.credentials.createInsecure() };
}
