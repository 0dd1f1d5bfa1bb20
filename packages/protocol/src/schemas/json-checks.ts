import { parseJson } from '../json.js';
import { isPlainObject, splitPath } from '../leaf-path.js';

/**
 * Small checks shared by the record and request schemas. Each returns an
 * error message (what was expected, what came) or `undefined` when fine, so a
 * schema can attach it to the right path.
 */

/** The JSON parse of `text`, or the parse error's message. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: parseJson(text) };
  } catch (err) {
    return { ok: false, message: `is not valid JSON (${(err as Error).message})` };
  }
}

/** How deep a JSON value nests: a scalar is 0, `[1]` is 1, `{"a":[1]}` is 2. Stops counting past `limit`. */
export function jsonDepth(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  const items = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  for (const item of items) {
    const d = jsonDepth(item, limit - 1);
    if (d > deepest) deepest = d;
    if (deepest >= limit) break;
  }
  return deepest + 1;
}

/**
 * Checks a JSON text that must hold a value nesting at most `maxDepth` levels;
 * with `object: true` it must be a JSON object. An empty text counts as `{}`
 * when `object` is set (proto3 sends absent strings as ""). `lengthLimit`
 * names the limit `maxLength` comes from, for the error.
 */
export function checkJsonText(
  text: string,
  options: { maxLength: number; lengthLimit: 'maxValueLength' | 'maxConfigJsonLength'; maxDepth: number; object?: boolean },
): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text.length > options.maxLength) {
    return { ok: false, message: `is ${text.length} characters long; at most ${options.maxLength} are allowed (${options.lengthLimit})` };
  }
  if (text === '' && options.object) return { ok: true, value: {} };
  const parsed = tryParseJson(text);
  if (!parsed.ok) return parsed;
  if (options.object && !isPlainObject(parsed.value)) {
    const kind = parsed.value === null ? 'null' : Array.isArray(parsed.value) ? 'an array' : typeof parsed.value;
    return { ok: false, message: `must be a JSON object, got ${kind}` };
  }
  if (jsonDepth(parsed.value, options.maxDepth + 1) > options.maxDepth) {
    return { ok: false, message: `nests deeper than ${options.maxDepth} levels (maxDepth)` };
  }
  return parsed;
}

/** Checks one leaf path (a history key, a summary path, a removed path). */
export function checkLeafPath(path: string, limits: { maxKeyLength: number; maxDepth: number }): string | undefined {
  if (path.length > limits.maxKeyLength) {
    return `key is ${path.length} characters long; at most ${limits.maxKeyLength} are allowed (maxKeyLength)`;
  }
  // Cheap pre-check: fewer dots than the limit cannot exceed it.
  let dots = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 46) dots++;
  if (dots >= limits.maxDepth) {
    const segments = splitPath(path).length;
    if (segments > limits.maxDepth) {
      return `key ${JSON.stringify(path.length > 60 ? `${path.slice(0, 57)}...` : path)} has ${segments} path segments; at most ${limits.maxDepth} are allowed (maxDepth)`;
    }
  }
  return undefined;
}
