import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protosDir } from '@cohort/protocol';
import type { ProtoGrpcType } from './generated/service.js';
import { tolerateMalformedRequests } from './malformed-requests.js';

/**
 * The one set of proto-loader options of the coordinator. The typed handlers
 * in `generated/` (from `npm run generate -w @cohort/coordinator`) assume
 * exactly these: 64-bit integers as numbers, enums as strings, defaults
 * filled, oneofs named in `kind`, camelCase fields.
 */
export const LOADER_OPTIONS: Readonly<protoLoader.Options> = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

let loaded: ProtoGrpcType | undefined;

/**
 * Loads `cohort/v1/service.proto` once and returns it typed. The only place
 * that casts the untyped grpc package definition.
 */
export function loadService(): ProtoGrpcType {
  if (!loaded) {
    const definition = protoLoader.loadSync('cohort/v1/service.proto', { ...LOADER_OPTIONS, includeDirs: [protosDir()] });
    loaded = grpc.loadPackageDefinition(tolerateMalformedRequests(definition)) as unknown as ProtoGrpcType;
  }
  return loaded;
}
