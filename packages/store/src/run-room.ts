import { CohortError } from '@cohort/protocol';

/**
 * `maxRunsPerProject` where runs are created (docs/SECURITY.md, "Limits"):
 * the store counts a project's runs and inserts the new one in one step (one
 * SQLite transaction; under a per-project advisory lock on PostgreSQL), so
 * runs created at the same moment, by one coordinator or several, cannot
 * overshoot the bound together.
 */
export interface RunRoom {
  maxRunsPerProject: number;
}

/** The refusal of a run that would take `entity/project` past its bound. */
export function noRoomForRun(entity: string, project: string, count: number, limit: number): CohortError {
  return new CohortError(
    'RESOURCE_EXHAUSTED',
    `project: ${entity}/${project} holds ${count} runs; at most ${limit} are allowed (maxRunsPerProject); resume an existing run or use another project`,
  );
}
