import { CohortError, validateEntity } from '@cohort/protocol';
import type { SqlProgramRunner } from '../artifacts/artifact-store.js';
import * as ops from './identity-ops.js';
import type { MemberRole, NewApiKey, StoredApiKey, StoredEntity } from './identity-types.js';

/** Most entities one user may belong to (a key's principal holds them all in memory). */
export const MAX_ENTITIES_PER_USER = 256;

/**
 * Users, entities (a user's personal one, or a team), memberships, API keys
 * and blob grants: who may see what (`store.identity`). One implementation
 * over both SQL stores, like `store.artifacts`.
 *
 * @example
 * await store.identity.ensureUser('alice');
 * await store.identity.ensureTeam('vision');
 * await store.identity.addMember('vision', 'alice');
 * await store.identity.entitiesOf('alice'); // ['alice', 'vision']
 */
export class IdentityStore {
  readonly #run: SqlProgramRunner;
  readonly #now: () => number;

  /** @internal The stores build it. */
  constructor(run: SqlProgramRunner, now: () => number = () => Date.now() / 1000) {
    this.#run = run;
    this.#now = now;
  }

  /** Creates user `name` and its personal entity when missing. ALREADY_EXISTS when a team has the name. */
  async ensureUser(name: string): Promise<void> {
    const checked = validateEntity(name, 'user');
    return this.#run(`ensure user ${checked}`, ops.ensureUser(checked, this.#now()));
  }

  /** Creates team `name` when missing. ALREADY_EXISTS when a user has the name. */
  async ensureTeam(name: string): Promise<void> {
    const checked = validateEntity(name, 'team');
    return this.#run(`ensure team ${checked}`, ops.ensureTeam(checked, this.#now()));
  }

  /** Adds an existing user to an existing team (or changes its role). */
  async addMember(team: string, user: string, role: MemberRole = 'member'): Promise<void> {
    if (role !== 'admin' && role !== 'member') throw new CohortError('INVALID_ARGUMENT', `Expected \`role\` to be "admin" or "member", got ${JSON.stringify(role)}`);
    const entities = await this.entitiesOf(user);
    if (!entities.includes(team) && entities.length >= MAX_ENTITIES_PER_USER) {
      throw new CohortError('RESOURCE_EXHAUSTED', `user ${JSON.stringify(user)}: belongs to ${entities.length} entities; at most ${MAX_ENTITIES_PER_USER} are allowed`);
    }
    return this.#run(`add ${user} to ${team}`, ops.addMember(validateEntity(team, 'team'), validateEntity(user, 'user'), role));
  }

  /** The entities `user` belongs to: its own first, then its teams by name. */
  entitiesOf(user: string): Promise<string[]> {
    return this.#run('list entities of a user', ops.entitiesOf(user));
  }

  /** Every entity, by name. */
  listEntities(): Promise<StoredEntity[]> {
    return this.#run('list entities', ops.listEntities());
  }

  /** Records a key (its hash only). NOT_FOUND when the user does not exist. */
  createKey(key: NewApiKey): Promise<void> {
    return this.#run('create api key', ops.createKey(key));
  }

  /** A key by id, revoked ones included. */
  findKey(id: string): Promise<StoredApiKey | undefined> {
    return this.#run('find api key', ops.findKey(id));
  }

  /** Keys, oldest first: of `user`, or every key. */
  listKeys(user?: string): Promise<StoredApiKey[]> {
    return this.#run('list api keys', ops.listKeys(user));
  }

  /** Revokes a key; false when there is none with that id. */
  revokeKey(id: string): Promise<boolean> {
    return this.#run('revoke api key', ops.revokeKey(id, this.#now()));
  }

  /** Records that a key was used now. */
  touchKey(id: string): Promise<void> {
    return this.#run('touch api key', ops.touchKey(id, this.#now()));
  }

  /** Lets `entities` read blobs `digests` (their members uploaded them). */
  grantBlobs(entities: readonly string[], digests: readonly string[]): Promise<void> {
    if (entities.length === 0 || digests.length === 0) return Promise.resolve();
    return this.#run('grant blobs', ops.grantBlobs(entities, digests));
  }

  /** Which of `digests` one of `entities` may read (granted, or referenced by its artifacts or run files). */
  readableBlobs(entities: readonly string[], digests: readonly string[]): Promise<Set<string>> {
    if (entities.length === 0 || digests.length === 0) return Promise.resolve(new Set());
    return this.#run('find readable blobs', ops.readableBlobs(entities, digests));
  }

  /** A server-wide secret (e.g. the session cookie key), created as `fresh` by the first process that asks. */
  serverSecret(name: string, fresh: string): Promise<string> {
    return this.#run('read server secret', ops.serverSecret(name, fresh));
  }
}
