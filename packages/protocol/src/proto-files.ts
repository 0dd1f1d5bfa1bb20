import { fileURLToPath } from 'node:url';

/**
 * The folder holding `cohort/v1/*.proto`: `protos/` inside this package, next
 * to `src/` and `dist/`, so it ships in the package's tarball and resolves the
 * same from source, from a build and from an install outside the repository.
 */
export function protosDir(): string {
  return fileURLToPath(new URL('../protos', import.meta.url));
}

/** Paths of the proto files, relative to {@link protosDir}. */
export const PROTO_FILES = ['cohort/v1/records.proto', 'cohort/v1/service.proto', 'cohort/v1/blobs.proto', 'cohort/v1/artifacts.proto'] as const;
