/** Whether an entity is a user's personal one or a team. */
export type EntityKind = 'user' | 'team';

/** A member's role in an entity: admins manage members, members read and write its projects. */
export type MemberRole = 'admin' | 'member';

/** An entity (a user's personal one, or a team) that owns projects. */
export interface StoredEntity {
  readonly name: string;
  readonly kind: EntityKind;
  readonly createdAt: number;
}

/** A stored API key: never the secret, only its SHA-256. */
export interface StoredApiKey {
  /** The public part of the key (`ck_<id>_<secret>`). */
  readonly id: string;
  /** The user the key acts for. */
  readonly user: string;
  readonly label: string;
  /** Hex SHA-256 of the secret part. */
  readonly hash: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | undefined;
  readonly revokedAt: number | undefined;
}

/** A key to record (`createKey`). */
export interface NewApiKey {
  readonly id: string;
  readonly user: string;
  readonly label: string;
  readonly hash: string;
  readonly createdAt: number;
}
