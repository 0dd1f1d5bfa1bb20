import { CohortError } from '@cohort/protocol';

/** A caption option: a string of at most 1000 characters, or absent. */
export function checkCaption(caption: unknown, what: string): string | undefined {
  if (caption === undefined) return undefined;
  if (typeof caption !== 'string') throw new TypeError(`Expected \`caption\` of ${what} to be a string, got ${typeof caption}`);
  if (caption.length > 1000) throw new CohortError('INVALID_ARGUMENT', `Expected \`caption\` of ${what} to be at most 1000 characters, got ${caption.length}`);
  return caption;
}

/** The lower-case extension of a path (`.PNG` → `png`). */
export function extensionOf(path: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(path);
  return m ? m[1]!.toLowerCase() : '';
}
