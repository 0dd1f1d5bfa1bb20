import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding `cohort/v1/*.proto` (the repository's `protos/`). */
export function protosDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'protos');
    if (existsSync(join(candidate, 'cohort', 'v1', 'service.proto'))) return candidate;
    dir = resolve(dir, '..');
  }
  throw new Error('Cannot find the protos/ folder with cohort/v1/service.proto above @cohort/protocol');
}

/** Paths of the proto files, relative to {@link protosDir}. */
export const PROTO_FILES = ['cohort/v1/records.proto', 'cohort/v1/service.proto', 'cohort/v1/blobs.proto', 'cohort/v1/artifacts.proto'] as const;
