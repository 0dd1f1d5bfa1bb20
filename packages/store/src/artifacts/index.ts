export { ArtifactStore, type SqlProgramRunner } from './artifact-store.js';
export { artifactMigration } from './artifact-schema.js';
export type * from './artifact-types.js';
export { toPgPlaceholders, type SqlProgram, type SqlStep } from './sql-program.js';
