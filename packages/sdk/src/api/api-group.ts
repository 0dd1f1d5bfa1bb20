import type { HttpClient } from './http-client.js';

/** A member (rank) of a group, as the server reports it. */
export interface GroupMemberView {
  runId: string;
  name: string;
  rank: number | null;
  localRank: number | null;
  node: string;
  state: string;
  heartbeatAt: number | null;
  /** When a member that is no longer live ended (seconds since the epoch): which rank died, and when. */
  endedAt: number | null;
  lastStep: number | null;
  lastStepAt: number | null;
  stepRate: number | null;
  secondsSinceLastStep: number | null;
  straggler: boolean;
  restartAttempt: number;
  resumed: boolean;
}

/** A group as the server reports it (`GET /api/v1/groups/:entity/:project/:group`). */
export interface GroupView {
  entity: string;
  project: string;
  group: string;
  worldSize: number;
  primaryRank: number;
  primaryRunId: string | null;
  /** `pending`, `running`, `degraded`, `stalled`, `finished`, `failed`, `crashed`, `preempted` or `killed`. */
  state: string;
  stalledAt: number | null;
  members: GroupMemberView[];
}

/** The aggregate of one metric at one step over the ranks that logged it. */
export interface AggregateValue {
  mean: number;
  min: number;
  max: number;
  count: number;
}

/** One row of a group's aggregate history. */
export type GroupHistoryRow = { _step: number } & { [key: string]: number | AggregateValue };

/** Options of {@link ApiGroup.history}. */
export interface GroupHistoryOptions {
  keys?: readonly string[];
  minStep?: number;
  maxStep?: number;
}

/**
 * A training group on the server (`api.group("entity/project/group")`): its
 * members and states, and the aggregates of each metric across ranks.
 *
 * @example
 * const g = api.group('local/mnist/job-42');
 * const rows = await g.history({ keys: ['loss'] }); // [{ _step: 0, loss: { mean, min, max, count } }, ...]
 */
export class ApiGroup {
  readonly #http: HttpClient;
  readonly #base: Promise<string>;

  /** @internal Use `api.group()`. */
  constructor(http: HttpClient, path: Promise<{ entity: string; project: string; group: string }>) {
    this.#http = http;
    this.#base = path.then((p) => `/api/v1/groups/${encodeURIComponent(p.entity)}/${encodeURIComponent(p.project)}/${encodeURIComponent(p.group)}`);
  }

  /** The group: expected world size, primary, derived state, stall flag and members. NOT_FOUND when unknown. */
  async info(): Promise<GroupView> {
    return (await this.#http.get(await this.#base)) as GroupView;
  }

  /** The members (ranks) with their states and progress (step rate, time since the last step, straggler flag). */
  async members(): Promise<GroupMemberView[]> {
    return (await this.info()).members;
  }

  /** Rows by step: each metric as `{ mean, min, max, count }` over the ranks that logged it at that step. */
  async history(options: GroupHistoryOptions = {}): Promise<GroupHistoryRow[]> {
    const body = (await this.#http.get(`${await this.#base}/history`, {
      keys: options.keys?.join(','),
      minStep: options.minStep,
      maxStep: options.maxStep,
    })) as { rows: GroupHistoryRow[] };
    return body.rows;
  }
}
