import type {
  AggregateCell,
  AggregateQuery,
  GroupAnnounce,
  GroupFilter,
  GroupKey,
  GroupPatch,
  RankProgress,
  StoredGroup,
  SystemSample,
  StoredRankProgress,
} from './group-types.js';
import type { GroupClaim } from './group-claims.js';

/**
 * The group part of the {@link Store}: the registry of training groups, the
 * aggregates across their ranks and each rank's progress. Aggregate deltas,
 * progress and replay rewinds are written by `commitBatch` (one transaction
 * with the batch, so they are exactly once); these methods read, announce
 * and flag.
 */
export interface GroupStore {
  /**
   * Creates the group if missing; widens its world size to the announced one
   * and takes an explicitly announced primary rank. Returns it.
   */
  announceGroup(key: GroupKey, announce: GroupAnnounce, now: number): Promise<StoredGroup>;
  /**
   * The group a rank with a non-unique job key belongs to, claiming its node
   * slot in one transaction (the rules are in `group-claims.ts`). Returns the group's name.
   */
  claimGroup(claim: GroupClaim, now: number): Promise<string>;
  /** One group, or `undefined`. */
  findGroup(key: GroupKey): Promise<StoredGroup | undefined>;
  /** Groups, by entity, project and name. */
  listGroups(filter?: GroupFilter): Promise<StoredGroup[]>;
  /** Updates a group's flags. Returns false for an unknown group. */
  updateGroup(key: GroupKey, patch: GroupPatch, now: number): Promise<boolean>;
  /** Aggregate cells of a group, by key then step. */
  readGroupAggregates(key: GroupKey, query?: AggregateQuery): Promise<AggregateCell[]>;
  /** The progress of a run (`undefined` before anything was recorded). */
  getRankProgress(runPk: number): Promise<RankProgress | undefined>;
  /** The progress of several runs (those with none are left out). */
  listRankProgress(runPks: readonly number[]): Promise<StoredRankProgress[]>;
  /** Sets the given progress fields of a run (creating its progress row), leaving the others. */
  patchRankProgress(runPk: number, patch: Partial<RankProgress>): Promise<void>;
  /** A run's system metric samples (written by `commitBatch`), oldest first, from `since` on, at most `limit`. */
  readSystemMetrics(runPk: number, query?: { since?: number; limit?: number }): Promise<SystemSample[]>;
}
