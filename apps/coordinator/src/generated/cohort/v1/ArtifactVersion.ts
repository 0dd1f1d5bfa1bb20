// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto

import type { ManifestEntryMessage as _cohort_v1_ManifestEntryMessage, ManifestEntryMessage__Output as _cohort_v1_ManifestEntryMessage__Output } from '../../cohort/v1/ManifestEntryMessage.js';
import type { Long } from '@grpc/proto-loader';

export interface ArtifactVersion {
  'entity'?: (string);
  'project'?: (string);
  'name'?: (string);
  'type'?: (string);
  'version'?: (string);
  'state'?: (string);
  'digest'?: (string);
  'aliases'?: (string)[];
  'tags'?: (string)[];
  'description'?: (string);
  'metadataJson'?: (string);
  'entries'?: (_cohort_v1_ManifestEntryMessage)[];
  'size'?: (number | string | Long);
  'loggedBy'?: (string);
  'deduplicated'?: (boolean);
  'createdAt'?: (number | string);
  'distributedId'?: (string);
}

export interface ArtifactVersion__Output {
  'entity': (string);
  'project': (string);
  'name': (string);
  'type': (string);
  'version': (string);
  'state': (string);
  'digest': (string);
  'aliases': (string)[];
  'tags': (string)[];
  'description': (string);
  'metadataJson': (string);
  'entries': (_cohort_v1_ManifestEntryMessage__Output)[];
  'size': (number);
  'loggedBy': (string);
  'deduplicated': (boolean);
  'createdAt': (number);
  'distributedId': (string);
}
