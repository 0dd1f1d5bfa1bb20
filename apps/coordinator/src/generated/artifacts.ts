import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ArtifactVersion as _cohort_v1_ArtifactVersion, ArtifactVersion__Output as _cohort_v1_ArtifactVersion__Output } from './cohort/v1/ArtifactVersion.js';
import type { ArtifactsClient as _cohort_v1_ArtifactsClient, ArtifactsDefinition as _cohort_v1_ArtifactsDefinition } from './cohort/v1/Artifacts.js';
import type { GetArtifactRequest as _cohort_v1_GetArtifactRequest, GetArtifactRequest__Output as _cohort_v1_GetArtifactRequest__Output } from './cohort/v1/GetArtifactRequest.js';
import type { GetRunFileRequest as _cohort_v1_GetRunFileRequest, GetRunFileRequest__Output as _cohort_v1_GetRunFileRequest__Output } from './cohort/v1/GetRunFileRequest.js';
import type { GetRunFileResponse as _cohort_v1_GetRunFileResponse, GetRunFileResponse__Output as _cohort_v1_GetRunFileResponse__Output } from './cohort/v1/GetRunFileResponse.js';
import type { LinkArtifactRequest as _cohort_v1_LinkArtifactRequest, LinkArtifactRequest__Output as _cohort_v1_LinkArtifactRequest__Output } from './cohort/v1/LinkArtifactRequest.js';
import type { ManifestEntryMessage as _cohort_v1_ManifestEntryMessage, ManifestEntryMessage__Output as _cohort_v1_ManifestEntryMessage__Output } from './cohort/v1/ManifestEntryMessage.js';
import type { PutRunFilesRequest as _cohort_v1_PutRunFilesRequest, PutRunFilesRequest__Output as _cohort_v1_PutRunFilesRequest__Output } from './cohort/v1/PutRunFilesRequest.js';
import type { PutRunFilesResponse as _cohort_v1_PutRunFilesResponse, PutRunFilesResponse__Output as _cohort_v1_PutRunFilesResponse__Output } from './cohort/v1/PutRunFilesResponse.js';
import type { RunRef as _cohort_v1_RunRef, RunRef__Output as _cohort_v1_RunRef__Output } from './cohort/v1/RunRef.js';
import type { SaveArtifactRequest as _cohort_v1_SaveArtifactRequest, SaveArtifactRequest__Output as _cohort_v1_SaveArtifactRequest__Output } from './cohort/v1/SaveArtifactRequest.js';
import type { UseArtifactRequest as _cohort_v1_UseArtifactRequest, UseArtifactRequest__Output as _cohort_v1_UseArtifactRequest__Output } from './cohort/v1/UseArtifactRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cohort: {
    v1: {
      ArtifactVersion: MessageTypeDefinition<_cohort_v1_ArtifactVersion, _cohort_v1_ArtifactVersion__Output>
      Artifacts: SubtypeConstructor<typeof grpc.Client, _cohort_v1_ArtifactsClient> & { service: _cohort_v1_ArtifactsDefinition }
      GetArtifactRequest: MessageTypeDefinition<_cohort_v1_GetArtifactRequest, _cohort_v1_GetArtifactRequest__Output>
      GetRunFileRequest: MessageTypeDefinition<_cohort_v1_GetRunFileRequest, _cohort_v1_GetRunFileRequest__Output>
      GetRunFileResponse: MessageTypeDefinition<_cohort_v1_GetRunFileResponse, _cohort_v1_GetRunFileResponse__Output>
      LinkArtifactRequest: MessageTypeDefinition<_cohort_v1_LinkArtifactRequest, _cohort_v1_LinkArtifactRequest__Output>
      ManifestEntryMessage: MessageTypeDefinition<_cohort_v1_ManifestEntryMessage, _cohort_v1_ManifestEntryMessage__Output>
      PutRunFilesRequest: MessageTypeDefinition<_cohort_v1_PutRunFilesRequest, _cohort_v1_PutRunFilesRequest__Output>
      PutRunFilesResponse: MessageTypeDefinition<_cohort_v1_PutRunFilesResponse, _cohort_v1_PutRunFilesResponse__Output>
      RunRef: MessageTypeDefinition<_cohort_v1_RunRef, _cohort_v1_RunRef__Output>
      SaveArtifactRequest: MessageTypeDefinition<_cohort_v1_SaveArtifactRequest, _cohort_v1_SaveArtifactRequest__Output>
      UseArtifactRequest: MessageTypeDefinition<_cohort_v1_UseArtifactRequest, _cohort_v1_UseArtifactRequest__Output>
    }
  }
}

