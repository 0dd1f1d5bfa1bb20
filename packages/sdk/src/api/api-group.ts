import type { GroupHistoryRow, GroupMemberView, GroupView } from '@cohort/protocol';
import { apiGet } from './api-get.js';
import type { HttpClient } from './http-client.js';

/** A group, a member (rank), a row of the aggregate history and one aggregate: the HTTP API's shapes (@cohort/protocol, http/groups.ts). */
export type { AggregateValue, GroupHistoryRow, GroupMemberView, GroupView } from '@cohort/protocol';

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
  readonly #key: Promise<{ entity: string; project: string; group: string }>;

  /** @internal Use `api.group()`. */
  constructor(http: HttpClient, path: Promise<{ entity: string; project: string; group: string }>) {
    this.#http = http;
    this.#key = path;
  }

  /** The group: expected world size, primary, derived state, stall flag and members. NOT_FOUND when unknown. */
  async info(): Promise<GroupView> {
    return apiGet(this.#http, '/api/v1/groups/{entity}/{project}/{group}', await this.#key);
  }

  /** The members (ranks) with their states and progress (step rate, time since the last step, straggler flag). */
  async members(): Promise<GroupMemberView[]> {
    return (await this.info()).members;
  }

  /** Rows by step: each metric as `{ mean, min, max, count }` over the ranks that logged it at that step. */
  async history(options: GroupHistoryOptions = {}): Promise<GroupHistoryRow[]> {
    const body = await apiGet(this.#http, '/api/v1/groups/{entity}/{project}/{group}/history', await this.#key, {
      keys: options.keys?.join(','),
      minStep: options.minStep,
      maxStep: options.maxStep,
    });
    return body.rows;
  }
}
