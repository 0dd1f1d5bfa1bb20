import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protosDir } from '@cohort/protocol';
import { LOADER_OPTIONS } from '../load-service.js';
import type { ProtoGrpcType as ArtifactsProto } from '../generated/artifacts.js';
import type { ProtoGrpcType as BlobsProto } from '../generated/blobs.js';
import { tolerateMalformedRequests } from '../malformed-requests.js';

let loaded: { blobs: BlobsProto; artifacts: ArtifactsProto } | undefined;

/**
 * Loads `cohort/v1/blobs.proto` and `cohort/v1/artifacts.proto` once, typed
 * (the one cast for these services), with the coordinator's loader options.
 */
export function loadAssetServices(): { blobs: BlobsProto; artifacts: ArtifactsProto } {
  if (!loaded) {
    const options = { ...LOADER_OPTIONS, includeDirs: [protosDir()] };
    loaded = {
      blobs: grpc.loadPackageDefinition(tolerateMalformedRequests(protoLoader.loadSync('cohort/v1/blobs.proto', options))) as unknown as BlobsProto,
      artifacts: grpc.loadPackageDefinition(tolerateMalformedRequests(protoLoader.loadSync('cohort/v1/artifacts.proto', options))) as unknown as ArtifactsProto,
    };
  }
  return loaded;
}
