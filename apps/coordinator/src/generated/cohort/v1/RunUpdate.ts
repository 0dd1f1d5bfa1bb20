// Original file: ../../packages/protocol/protos/cohort/v1/records.proto

import type { TagList as _cohort_v1_TagList, TagList__Output as _cohort_v1_TagList__Output } from '../../cohort/v1/TagList.js';

export interface RunUpdate {
  'name'?: (string);
  'notes'?: (string);
  'tags'?: (_cohort_v1_TagList | null);
  '_name'?: "name";
  '_notes'?: "notes";
  '_tags'?: "tags";
}

export interface RunUpdate__Output {
  'name'?: (string);
  'notes'?: (string);
  'tags'?: (_cohort_v1_TagList__Output | null);
  '_name'?: "name";
  '_notes'?: "notes";
  '_tags'?: "tags";
}
