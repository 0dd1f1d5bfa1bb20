import { z } from 'zod';
import { int, seconds } from './values.js';

/** Every error answer: `{ "error": { "code", "message" } }` (docs/errors.md). */
export const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** `GET /api/v1/info`: the server's identity. */
export const serverInfoSchema = z.object({
  version: z.string(),
  /** `host:port` of the gRPC server, as clients should dial it. */
  grpcAddress: z.string(),
  /** `http://host:port` of the HTTP API and dashboard. */
  httpUrl: z.string(),
  /** The entity of runs opened without one. */
  defaultEntity: z.string(),
});
export type ServerInfo = z.infer<typeof serverInfoSchema>;

/** `GET /api/v1/health`. */
export const healthSchema = z.object({ ok: z.boolean() });

/** `GET /api/v1/session`: no auth, or the key's user and entities. */
export const sessionSchema = z.union([z.object({ auth: z.literal('none') }), z.object({ auth: z.literal('keys'), user: z.string(), entities: z.array(z.string()) })]);
export type SessionView = z.infer<typeof sessionSchema>;

/** A project, as `GET /api/v1/projects` lists it. */
export const projectSchema = z.object({
  entity: z.string(),
  project: z.string(),
  runCount: int(),
  /** When any of its runs last changed. */
  updatedAt: seconds,
});
export type ProjectView = z.infer<typeof projectSchema>;

/** `GET /api/v1/projects`. */
export const projectsSchema = z.object({ projects: z.array(projectSchema) });
