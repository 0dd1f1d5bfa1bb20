import { z } from 'zod';
import { int, seconds } from './values.js';

/** A version as a run's lineage lists it. */
export const artifactBriefSchema = z.object({ entity: z.string(), project: z.string(), name: z.string(), type: z.string(), version: z.string(), digest: z.string(), aliases: z.array(z.string()) });
export type ArtifactBrief = z.infer<typeof artifactBriefSchema>;
/** `GET /api/v1/runs/:entity/:project/:id/artifacts`: the versions a run logged and used. */
export const runArtifactsSchema = z.object({ logged: z.array(artifactBriefSchema), used: z.array(artifactBriefSchema) });

/** `GET /api/v1/artifacts/:entity/:project`. */
export const artifactsSchema = z.object({ artifacts: z.array(z.object({ name: z.string(), type: z.string(), createdAt: seconds })) });

/** A version of an artifact, as its list shows it. */
export const artifactVersionSummarySchema = z.object({ version: z.string(), digest: z.string(), aliases: z.array(z.string()), size: int(), fileCount: int(), createdAt: seconds });
export type ArtifactVersionSummary = z.infer<typeof artifactVersionSummarySchema>;
/** `GET /api/v1/artifacts/:entity/:project/:name`. */
export const artifactVersionsSchema = z.object({ versions: z.array(artifactVersionSummarySchema) });

/** A run named by its key. */
export const runKeySchema = z.object({ entity: z.string(), project: z.string(), runId: z.string() });
export type RunKeyView = z.infer<typeof runKeySchema>;

/** `GET /api/v1/artifacts/:entity/:project/:name/:alias`: one committed version, its files and lineage. */
export const artifactVersionSchema = z.object({
  entity: z.string(),
  project: z.string(),
  name: z.string(),
  type: z.string(),
  version: z.string(),
  state: z.enum(['PENDING', 'COMMITTED']),
  digest: z.string(),
  aliases: z.array(z.string()),
  tags: z.array(z.string()),
  description: z.string(),
  metadata: z.unknown(),
  size: int(),
  createdAt: seconds,
  files: z.array(z.object({ path: z.string(), digest: z.string(), size: int(), ref: z.string() })),
  loggedBy: runKeySchema.nullable(),
  usedBy: z.array(runKeySchema),
});
export type ArtifactVersionBody = z.infer<typeof artifactVersionSchema>;
