import { z } from 'zod';

/** The first frame of a `StreamRecords` call: which run the stream writes. */
export const helloSchema = z.object({
  entity: z.string().max(512, { message: 'must be at most 512 characters long' }),
  project: z.string().min(1, { message: 'must not be empty' }).max(512, { message: 'must be at most 512 characters long' }),
  runId: z.string().min(1, { message: 'must not be empty' }).max(512, { message: 'must be at most 512 characters long' }),
  /** Shared mode: the writer's label, which has its own seq space; '' for the run's own records. */
  label: z.string().max(512, { message: 'must be at most 512 characters long' }),
});

export type Hello = z.infer<typeof helloSchema>;
