import { CohortError } from '@cohort/protocol';

/**
 * Who makes a request: a user acting through one API key, seeing only the
 * entities it belongs to; or, with auth off (a loopback server), the
 * superuser who sees everything.
 */
export type Principal = UserPrincipal | SuperPrincipal;

/** A user acting through an API key. */
export interface UserPrincipal {
  readonly superuser?: false;
  readonly user: string;
  readonly keyId: string;
  readonly entities: ReadonlySet<string>;
}

/** Auth off: sees and may do everything. */
export interface SuperPrincipal {
  readonly superuser: true;
}

/** The principal of a server without keys. */
export const SUPERUSER: SuperPrincipal = Object.freeze({ superuser: true });

/** Whether `principal` may see entity `entity`. */
export function canSee(principal: Principal, entity: string): boolean {
  return principal.superuser === true || principal.entities.has(entity);
}

/**
 * The answer for an entity the principal may not see: NOT_FOUND, worded so
 * that it does not tell whether the entity exists.
 */
export function notVisible(entity: string): CohortError {
  return new CohortError('NOT_FOUND', `entity ${JSON.stringify(entity)}: not found among the entities this API key can see`);
}

/** Throws {@link notVisible} unless `principal` may see `entity`. */
export function assertVisible(principal: Principal, entity: string): void {
  if (!canSee(principal, entity)) throw notVisible(entity);
}

/**
 * The entity a request means: `requested`, or when it is '' the user's own
 * entity (with keys) or the server's default (without). Throws NOT_FOUND for
 * an entity the principal may not see.
 */
export function effectiveEntity(principal: Principal, requested: string, defaultEntity: string): string {
  const entity = requested !== '' ? requested : principal.superuser === true ? defaultEntity : principal.user;
  assertVisible(principal, entity);
  return entity;
}
