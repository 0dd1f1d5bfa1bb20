import { CohortError } from '@cohort/protocol';
import type { BatchCommit } from './types.js';

/**
 * Checks that the items of one `commitBatches` call name distinct runs: a
 * run's batches are planned one on the other, so a second one belongs in a
 * later call (and one multi-row UPDATE cannot touch a row twice).
 */
export function checkDistinctRuns(items: readonly BatchCommit[]): void {
  const seen = new Map<number, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.pk);
    if (first !== undefined) {
      throw new CohortError('INVALID_ARGUMENT', `commitBatches: items[${i}].pk: expected one item per run, got run ${item.pk} again (first at items[${first}])`);
    }
    seen.set(item.pk, i);
  });
}
