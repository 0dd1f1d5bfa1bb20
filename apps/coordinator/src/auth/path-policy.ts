import { CohortError } from '@cohort/protocol';
import { assertVisible, type Principal } from './principal.js';

/** API resources whose 4th path segment is an entity: `/api/v1/<resource>/<entity>/...`. */
const ENTITY_RESOURCES: ReadonlySet<string> = new Set(['runs', 'groups', 'artifacts', 'series', 'sweeps']);

/**
 * Checks the entity a request path names before any handler runs, so every
 * route under `/api/v1/runs|groups|artifacts|series|sweeps/:entity` and every page under
 * `/:entity/...` is covered, those added later included. `segments` are the
 * decoded path segments. NOT_FOUND for an entity the caller may not see.
 */
export function checkPathEntity(principal: Principal, segments: readonly string[]): void {
  if (principal.superuser === true) return;
  if (segments[0] === 'api') {
    const resource = segments[2];
    const entity = segments[3];
    if (resource !== undefined && ENTITY_RESOURCES.has(resource) && entity !== undefined) assertVisible(principal, entity);
    if (resource === 'alerts' && segments[3] === 'deliveries') {
      throw new CohortError('PERMISSION_DENIED', 'alert deliveries span every team; only a server without keys lists them');
    }
    return;
  }
  // Pages: `/:entity/:project[/...]`.
  if (segments.length >= 2) assertVisible(principal, segments[0]!);
}
