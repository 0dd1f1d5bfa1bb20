import { createHash } from 'node:crypto';
import { invalidArgument } from '../errors.js';

/** Longest artifact (and portfolio, registered model) name (docs/run-semantics.md §11). */
export const MAX_ARTIFACT_NAME_LENGTH = 128;
/** Longest artifact type. */
export const MAX_ARTIFACT_TYPE_LENGTH = 64;
/** Longest alias. */
export const MAX_ALIAS_LENGTH = 128;
/** Most aliases one call may name. */
export const MAX_ALIASES = 32;
/** Longest path of a file inside an artifact or a run's files folder, in UTF-8 bytes. */
export const MAX_FILE_PATH_BYTES = 1024;
/** Longest single segment of such a path, in UTF-8 bytes (a common file-system limit). */
export const MAX_FILE_SEGMENT_BYTES = 255;
/** Most manifest entries one request may carry. */
export const MAX_MANIFEST_ENTRIES_PER_REQUEST = 10_000;
/** Longest reference URI. */
export const MAX_REFERENCE_URI_LENGTH = 2048;
/** Longest description, in characters. */
export const MAX_ARTIFACT_DESCRIPTION_LENGTH = 16_384;
/** Longest metadata object as JSON text, in bytes. */
export const MAX_ARTIFACT_METADATA_BYTES = 1024 * 1024;

/** Aliases the server manages: `latest` moves, `vN` names a version. */
export const LATEST_ALIAS = 'latest';
/** The project that holds registered models (`<entity>/model-registry/<name>`). */
export const MODEL_REGISTRY_PROJECT = 'model-registry';
/** The artifact type of `logModel`. */
export const MODEL_TYPE = 'model';
/** The artifact type of `logCode`. */
export const CODE_TYPE = 'code';
/** The type of an artifact logged from a path without one. */
export const DEFAULT_ARTIFACT_TYPE = 'unspecified';

/** URI schemes `addReference` records without copying. */
export const REFERENCE_SCHEMES = ['s3', 'gs', 'https', 'http', 'file'] as const;

const DIGEST_RE = /^[0-9a-f]{64}$/;
const VERSION_RE = /^v(0|[1-9][0-9]{0,9})$/;

/**
 * Checks an artifact name: 1 to 128 characters, no `/`, no `:` (it would read
 * as an alias), no control characters. Returns it.
 */
export function checkArtifactName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string') throw invalidArgument(`Expected \`${field}\` to be a string, got ${typeof name}`);
  if (name.length === 0 || name.length > MAX_ARTIFACT_NAME_LENGTH) {
    throw invalidArgument(`Expected \`${field}\` to be 1 to ${MAX_ARTIFACT_NAME_LENGTH} characters, got ${name.length}`);
  }
  if (name.includes('/')) throw invalidArgument(`Expected \`${field}\` to contain no "/", got ${JSON.stringify(name)}`);
  if (name.includes(':')) throw invalidArgument(`Expected \`${field}\` to contain no ":" (it separates an alias), got ${JSON.stringify(name)}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalidArgument(`Expected \`${field}\` to contain no control characters, got ${JSON.stringify(name)}`);
  return name;
}

/** Checks an artifact type: 1 to 64 characters, none of `/ :`. */
export function checkArtifactType(type: unknown, field = 'type'): string {
  if (typeof type !== 'string') throw invalidArgument(`Expected \`${field}\` to be a string, got ${typeof type}`);
  if (type.length === 0 || type.length > MAX_ARTIFACT_TYPE_LENGTH || /[/:\u0000-\u001f]/.test(type)) {
    throw invalidArgument(`Expected \`${field}\` to be 1 to ${MAX_ARTIFACT_TYPE_LENGTH} characters without "/" or ":", got ${JSON.stringify(type)}`);
  }
  return type;
}

/** Checks one alias: 1 to 128 characters, no `/` or `:` (docs/run-semantics.md §7). */
export function checkAlias(alias: unknown, field = 'aliases'): string {
  if (typeof alias !== 'string') throw invalidArgument(`Expected each of \`${field}\` to be a string, got ${typeof alias}`);
  if (alias.length === 0 || alias.length > MAX_ALIAS_LENGTH) {
    throw invalidArgument(`Expected each of \`${field}\` to be 1 to ${MAX_ALIAS_LENGTH} characters, got ${JSON.stringify(alias)}`);
  }
  if (alias.includes('/') || alias.includes(':')) {
    throw invalidArgument(`Expected each of \`${field}\` to contain no "/" or ":", got ${JSON.stringify(alias)}`);
  }
  if (VERSION_RE.test(alias)) throw invalidArgument(`Expected each of \`${field}\` not to be a version name like "v0" (the server assigns those), got ${JSON.stringify(alias)}`);
  return alias;
}

/**
 * The aliases a logged version gets: the given ones, checked, deduplicated,
 * with `latest` always added (docs/run-semantics.md §7).
 */
export function resolveAliases(aliases: unknown, field = 'aliases'): string[] {
  const list = aliases === undefined ? [] : aliases;
  if (!Array.isArray(list)) throw invalidArgument(`Expected \`${field}\` to be an array of strings, got ${typeof list}`);
  if (list.length > MAX_ALIASES) throw invalidArgument(`Expected \`${field}\` to hold at most ${MAX_ALIASES} aliases, got ${list.length}`);
  const out = new Set<string>();
  for (const a of list) out.add(checkAlias(a, field));
  out.add(LATEST_ALIAS);
  return [...out];
}

/** `v3` for index 3. */
export function versionName(index: number): string {
  return `v${index}`;
}

/** The index of a version name (`v3` → 3), or `undefined` for anything else. */
export function parseVersionName(alias: string): number | undefined {
  const m = VERSION_RE.exec(alias);
  return m ? Number(alias.slice(1)) : undefined;
}

/** A parsed `entity/project/name:alias` (entity and project optional). */
export interface ArtifactPath {
  readonly entity: string | undefined;
  readonly project: string | undefined;
  readonly name: string;
  /** An alias or `vN`; `latest` when not given. */
  readonly alias: string;
}

/**
 * Parses `name[:alias]`, `project/name[:alias]` or
 * `entity/project/name[:alias]`. The alias defaults to `latest`.
 */
export function parseArtifactPath(path: unknown, field = 'name'): ArtifactPath {
  if (typeof path !== 'string') throw invalidArgument(`Expected \`${field}\` to be a string, got ${typeof path}`);
  const parts = path.split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw invalidArgument(`Expected \`${field}\` to be "name[:alias]", "project/name[:alias]" or "entity/project/name[:alias]", got ${JSON.stringify(path)}`);
  }
  const last = parts[parts.length - 1]!;
  const colon = last.indexOf(':');
  const name = colon < 0 ? last : last.slice(0, colon);
  const alias = colon < 0 ? LATEST_ALIAS : last.slice(colon + 1);
  checkArtifactName(name, field);
  if (alias === '' || alias.includes(':')) throw invalidArgument(`Expected the alias in \`${field}\` to be one word after ":", got ${JSON.stringify(path)}`);
  return {
    entity: parts.length === 3 ? parts[0] : undefined,
    project: parts.length >= 2 ? parts[parts.length - 2] : undefined,
    name,
    alias,
  };
}

/** Where `linkArtifact` puts a version: `portfolio`, `project/portfolio` or `entity/project/portfolio`. */
export function parseLinkTarget(target: unknown, field = 'targetPath'): { entity: string | undefined; project: string | undefined; name: string } {
  if (typeof target !== 'string') throw invalidArgument(`Expected \`${field}\` to be a string, got ${typeof target}`);
  const parts = target.split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw invalidArgument(`Expected \`${field}\` to be "portfolio", "project/portfolio" or "entity/project/portfolio", got ${JSON.stringify(target)}`);
  }
  const name = checkArtifactName(parts[parts.length - 1], field);
  return { entity: parts.length === 3 ? parts[0] : undefined, project: parts.length >= 2 ? parts[parts.length - 2] : undefined, name };
}

/** Checks a registered model name for `linkModel`: an artifact name (so no `/`). */
export function checkRegisteredModelName(name: unknown): string {
  if (typeof name === 'string' && name.includes('/')) {
    throw invalidArgument(`Expected \`registeredModelName\` to contain no "/", got ${JSON.stringify(name)}`);
  }
  return checkArtifactName(name, 'registeredModelName');
}

/** True when `type` may be used as a model (`useModel`): it contains "model". */
export function isModelType(type: string): boolean {
  return type.toLowerCase().includes('model');
}

/** Checks a sha256 hex digest. */
export function checkDigest(digest: unknown, field = 'digest'): string {
  if (typeof digest !== 'string' || !DIGEST_RE.test(digest)) {
    throw invalidArgument(`Expected \`${field}\` to be 64 lowercase hex characters (sha256), got ${JSON.stringify(typeof digest === 'string' ? digest.slice(0, 80) : digest)}`);
  }
  return digest;
}

/**
 * Checks a path a client sends for a file inside an artifact or a run's files
 * folder, and returns it normalized (`\` is not a separator; `./` segments
 * dropped). Refuses: empty, NUL or control characters, absolute paths
 * (`/x`, `C:\x`, `\\host`), `..` segments, empty segments, more than
 * {@link MAX_FILE_PATH_BYTES} bytes or a segment over
 * {@link MAX_FILE_SEGMENT_BYTES}. A refused path is an INVALID_ARGUMENT
 * naming the field, so nothing is written.
 */
export function checkFilePath(path: unknown, field = 'path'): string {
  if (typeof path !== 'string') throw invalidArgument(`Expected \`${field}\` to be a string, got ${typeof path}`);
  const shown = JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
  if (path.length === 0) throw invalidArgument(`Expected \`${field}\` to be a non-empty relative path, got ""`);
  if (Buffer.byteLength(path, 'utf8') > MAX_FILE_PATH_BYTES) {
    throw invalidArgument(`Expected \`${field}\` to be at most ${MAX_FILE_PATH_BYTES} bytes, got ${Buffer.byteLength(path, 'utf8')}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw invalidArgument(`Expected \`${field}\` to contain no NUL or control characters, got ${shown}`);
  if (path.includes('\\')) throw invalidArgument(`Expected \`${field}\` to use "/" as separator and contain no "\\", got ${shown}`);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw invalidArgument(`Expected \`${field}\` to be a relative path, got the absolute ${shown}`);
  const segments = path.split('/').filter((s) => s !== '.');
  if (segments.length === 0) throw invalidArgument(`Expected \`${field}\` to name a file, got ${shown}`);
  for (const s of segments) {
    if (s === '') throw invalidArgument(`Expected \`${field}\` to have no empty segment ("//" or a trailing "/"), got ${shown}`);
    if (s === '..') throw invalidArgument(`Expected \`${field}\` to have no ".." segment (it would leave its folder), got ${shown}`);
    if (Buffer.byteLength(s, 'utf8') > MAX_FILE_SEGMENT_BYTES) {
      throw invalidArgument(`Expected each segment of \`${field}\` to be at most ${MAX_FILE_SEGMENT_BYTES} bytes, got ${Buffer.byteLength(s, 'utf8')}`);
    }
  }
  return segments.join('/');
}

/** Checks a reference URI for `addReference`: one of {@link REFERENCE_SCHEMES}, at most 2048 characters. */
export function checkReferenceUri(uri: unknown, field = 'uri'): string {
  if (typeof uri !== 'string') throw invalidArgument(`Expected \`${field}\` to be a string, got ${typeof uri}`);
  if (uri.length > MAX_REFERENCE_URI_LENGTH) throw invalidArgument(`Expected \`${field}\` to be at most ${MAX_REFERENCE_URI_LENGTH} characters, got ${uri.length}`);
  const m = /^([a-z][a-z0-9+.-]*):\/\//.exec(uri);
  if (!m || !(REFERENCE_SCHEMES as readonly string[]).includes(m[1]!)) {
    throw invalidArgument(`Expected \`${field}\` to be an ${REFERENCE_SCHEMES.map((s) => `${s}://`).join(', ')} URI, got ${JSON.stringify(uri.slice(0, 200))}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(uri)) throw invalidArgument(`Expected \`${field}\` to contain no control characters`);
  return uri;
}

/** One file of an artifact version: content in the blob store, or a reference outside it. */
export interface ManifestEntry {
  /** The path inside the artifact (checked by {@link checkFilePath}). */
  readonly path: string;
  /** sha256 of the content (stored files); for references, the checksum or etag when known, else ''. */
  readonly digest: string;
  readonly size: number;
  /** For references: the URI. '' for stored files. */
  readonly ref: string;
}

/**
 * The digest of a manifest: sha256 over its entries sorted by path, each as
 * `path NUL digest NUL size NUL ref LF`. Two versions with byte-identical
 * files (and references) have the same digest, whatever order they were
 * added in, so the server can return the existing version (dedup).
 */
export function manifestDigest(entries: readonly ManifestEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const h = createHash('sha256');
  for (const e of sorted) h.update(`${e.path}\0${e.digest}\0${e.size}\0${e.ref}\n`);
  return h.digest('hex');
}
