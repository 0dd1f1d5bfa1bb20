/**
 * Leaf paths name one metric inside a nested row: the object keys joined with
 * ".", where "." and "\" inside a key are escaped with "\". This is the name
 * `defineMetric` and the UI use (docs/run-semantics.md §1), and the key of a history cell.
 */

/** Escapes one object key for use in a leaf path. */
export function escapeKey(key: string): string {
  return key.includes('.') || key.includes('\\') ? key.replace(/[\\.]/g, (c) => `\\${c}`) : key;
}

/** Joins object keys into a leaf path. */
export function joinPath(keys: readonly string[]): string {
  return keys.map(escapeKey).join('.');
}

/** Splits a leaf path into its object keys (the inverse of {@link joinPath}). */
export function splitPath(path: string): string[] {
  if (!path.includes('\\')) return path.split('.');
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && i + 1 < path.length) {
      cur += path[++i]!;
    } else if (c === '.') {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

/** True for a plain object (`{}` or `Object.create(null)`), the only kind that nests. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Calls `visit(path, value)` for every leaf of a nested object. A non-empty
 * plain object is a subtree, unless it is a typed descriptor (a string
 * `_type`: histograms and media), which is one leaf like any other value.
 */
export function forEachLeaf(
  data: Readonly<Record<string, unknown>>,
  visit: (path: string, value: unknown) => void,
  prefix = '',
): void {
  for (const key in data) {
    const value = data[key];
    const path = prefix === '' ? escapeKey(key) : `${prefix}.${escapeKey(key)}`;
    if (isSubtree(value)) forEachLeaf(value, visit, path);
    else visit(path, value);
  }
}

/** True for a value that nests leaves: a non-empty plain object that is not a typed descriptor. */
export function isSubtree(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && typeof value._type !== 'string' && !isEmpty(value);
}

function isEmpty(obj: Record<string, unknown>): boolean {
  for (const _ in obj) return false;
  return true;
}

/** Sets a leaf inside a nested object, creating subtrees (replacing leaves in the way). */
export function setLeaf(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = splitPath(path);
  let node = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    const next = node[k];
    if (isPlainObject(next)) {
      node = next;
    } else {
      const created: Record<string, unknown> = {};
      node[k] = created;
      node = created;
    }
  }
  node[keys[keys.length - 1]!] = value;
}

/** Reads a leaf or subtree of a nested object; `undefined` when absent. */
export function getLeaf(source: Readonly<Record<string, unknown>>, path: string): unknown {
  let node: unknown = source;
  for (const k of splitPath(path)) {
    if (!isPlainObject(node)) return undefined;
    node = node[k];
  }
  return node;
}

/** Removes a leaf or subtree; empty parents are removed too. Returns whether anything was removed. */
export function deleteLeaf(target: Record<string, unknown>, path: string): boolean {
  const keys = splitPath(path);
  const chain: Record<string, unknown>[] = [target];
  let node = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const next = node[keys[i]!];
    if (!isPlainObject(next)) return false;
    node = next;
    chain.push(node);
  }
  const last = keys[keys.length - 1]!;
  if (!(last in node)) return false;
  delete node[last];
  for (let i = chain.length - 1; i > 0; i--) {
    if (!isEmpty(chain[i]!)) break;
    delete chain[i - 1]![keys[i - 1]!];
  }
  return true;
}

/** Builds a nested object from `[path, value]` leaves. */
export function unflatten(leaves: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of leaves) setLeaf(out, path, value);
  return out;
}
