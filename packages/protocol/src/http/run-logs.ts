import { z } from 'zod';
import { int, num, seconds } from './values.js';

/** An alert of a run. */
export const alertViewSchema = z.object({ title: z.string(), text: z.string(), level: z.string(), timestamp: seconds, suppressed: z.boolean() });
export type AlertView = z.infer<typeof alertViewSchema>;
/** `GET .../alerts`: oldest first. */
export const alertsSchema = z.object({ alerts: z.array(alertViewSchema) });

/** One state change of a run (start, preemption, crash, resume, finish). */
export const stateEventSchema = z.object({ state: z.string(), at: seconds, detail: z.string() });
export type StateEvent = z.infer<typeof stateEventSchema>;
/** `GET .../state-history` and `GET .../events`: oldest first. */
export const stateHistorySchema = z.object({ events: z.array(stateEventSchema) });

/** One system metric sample of a rank (`label`). */
export const systemSampleSchema = z.object({ at: seconds, label: z.string(), metrics: z.record(z.string(), num) });
export type SystemSampleView = z.infer<typeof systemSampleSchema>;
/** `GET .../system`: oldest first. */
export const systemSchema = z.object({ samples: z.array(systemSampleSchema) });

/** A run's saved file or logged media (`media/...`). */
export const runFileSchema = z.object({ path: z.string(), digest: z.string(), size: int(), updatedAt: seconds });
export type RunFile = z.infer<typeof runFileSchema>;
/** `GET .../files`. */
export const runFilesSchema = z.object({ files: z.array(runFileSchema) });

/** One captured console line. */
export const consoleLineSchema = z.object({ id: int(), at: seconds, stream: z.enum(['stdout', 'stderr']), label: z.string(), line: z.string() });
export type ConsoleLine = z.infer<typeof consoleLineSchema>;
/** `GET .../console`. */
export const consoleSchema = z.object({ lines: z.array(consoleLineSchema) });
