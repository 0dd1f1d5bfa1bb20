import type { z } from 'zod';

/** One zod issue as a sentence naming the field: ``settings.heartbeatSeconds: expected a number, got `"x"` ``. */
export function describeZodIssue(issue: z.core.$ZodIssue, root: string): string {
  const path = [root, ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    return `unknown ${issue.keys.length === 1 ? 'name' : 'names'} ${issue.keys.map((k) => `\`${root}.${k}\``).join(', ')}`;
  }
  return `\`${path}\`: ${issue.message}`;
}
