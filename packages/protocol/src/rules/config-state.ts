import { ConfigError, describeValue } from '../errors.js';
import { isPlainObject } from '../leaf-path.js';
import { stringifyJson } from '../json.js';

/**
 * `run.config` (docs/run-semantics.md §4): key clean-up, JSON-friendly values, the check
 * against silently changing a value, sweep-locked keys and defaults.
 */

/** Options of {@link ConfigState.update}. */
export interface ConfigUpdateOptions {
  /** Allow changing the value of an existing key. @defaultValue `false` */
  allowValChange?: boolean;
}

/** What an update did. */
export interface ConfigUpdateResult {
  /** The keys and JSON-friendly values that were applied (to send to the server). */
  applied: Record<string, unknown>;
  /** One message per ignored key (locked by a sweep). */
  warnings: string[];
}

/**
 * The run's config: top-level keys to JSON-friendly values.
 *
 * @example
 * const config = new ConfigState({ lr: 0.1 });
 * config.update({ '--batch': 32 }); // { applied: { batch: 32 }, warnings: [] }
 * config.update({ lr: 0.2 }); // throws ConfigError: Attempted to change value of key "lr" from 0.1 to 0.2 ...
 * config.update({ lr: 0.2 }, { allowValChange: true }); // replaces
 */
export class ConfigState {
  readonly #values = new Map<string, unknown>();
  readonly #locked = new Set<string>();

  /** @param initial - the starting config (for a resumed run, the stored one). */
  constructor(initial?: Record<string, unknown>) {
    if (initial !== undefined) {
      for (const [key, value] of entriesOf(initial, 'initial config')) {
        this.#values.set(cleanKey(key), toConfigValue(value, key));
      }
    }
  }

  /**
   * Applies `config.update(values, { allowValChange })`. All or nothing: a
   * changed value without `allowValChange` throws `ConfigError` before any key
   * is applied. Keys locked by a sweep are skipped with a warning.
   */
  update(values: unknown, opts?: ConfigUpdateOptions): ConfigUpdateResult {
    const allow = readAllow(opts);
    const applied: Record<string, unknown> = {};
    const warnings: string[] = [];
    for (const [rawKey, rawValue] of entriesOf(values, 'values')) {
      const key = cleanKey(rawKey);
      const value = toConfigValue(rawValue, rawKey);
      if (this.#locked.has(key)) {
        warnings.push(`Config item "${key}" was locked by a sweep (ignored update to ${formatValue(value)}).`);
        continue;
      }
      if (!allow && this.#values.has(key)) {
        const old = this.#values.get(key);
        if (!configValuesEqual(old, value)) {
          throw new ConfigError(
            `Attempted to change value of key "${key}" from ${formatValue(old)} to ${formatValue(value)}\n` +
              'If you really want to do this, pass allowValChange: true to config.update()',
          );
        }
      }
      applied[key] = value;
    }
    for (const key in applied) this.#values.set(key, applied[key]);
    return { applied, warnings };
  }

  /** Adds only the keys that are absent (`config.setDefaults`); returns those it added. */
  setDefaults(values: unknown): Record<string, unknown> {
    const applied: Record<string, unknown> = {};
    for (const [rawKey, rawValue] of entriesOf(values, 'values')) {
      const key = cleanKey(rawKey);
      if (this.#values.has(key) || Object.hasOwn(applied, key)) continue;
      applied[key] = toConfigValue(rawValue, rawKey);
    }
    for (const key in applied) this.#values.set(key, applied[key]);
    return applied;
  }

  /** Locks keys (set by a sweep): later updates of them are ignored with a warning. */
  lock(keys: Iterable<string>): void {
    for (const key of keys) this.#locked.add(cleanKey(key));
  }

  /** Whether a key is locked. */
  isLocked(key: string): boolean {
    return this.#locked.has(cleanKey(key));
  }

  /** The value of a key (`undefined` when absent). */
  get(key: string): unknown {
    return this.#values.get(cleanKey(key));
  }

  /** Whether a key is set. */
  has(key: string): boolean {
    return this.#values.has(cleanKey(key));
  }

  /** Removes keys (as `ConfigUpdate.removed` asks); returns the ones that were there. */
  remove(keys: Iterable<string>): string[] {
    const removed: string[] = [];
    for (const raw of keys) {
      const key = cleanKey(raw);
      if (this.#values.delete(key)) removed.push(key);
    }
    return removed;
  }

  /** The keys, without those starting with `_` (kept for internal use). */
  keys(): string[] {
    const out: string[] = [];
    for (const key of this.#values.keys()) if (!key.startsWith('_')) out.push(key);
    return out;
  }

  /** Every key and value, hidden keys included, as a plain object. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of this.#values) out[key] = value;
    return out;
  }
}

function readAllow(opts: unknown): boolean {
  if (opts === undefined || opts === null) return false;
  if (!isPlainObject(opts)) throw new TypeError(`Expected the options of config.update to be an object, got ${describeValue(opts)}`);
  const allow = opts.allowValChange ?? opts.allow_val_change;
  if (allow === undefined || allow === null) return false;
  if (typeof allow !== 'boolean') throw new TypeError(`Expected \`allowValChange\` to be a boolean, got ${describeValue(allow)}`);
  return allow;
}

function entriesOf(values: unknown, field: string): Array<[string, unknown]> {
  if (values instanceof Map) return [...values].map(([k, v]) => [String(k), v]);
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new TypeError(`Expected \`${field}\` to be an object of config keys to values, got ${describeValue(values)}`);
  }
  return Object.entries(values);
}

/** A config key without leading and trailing `-` (`--lr` → `lr`). */
export function cleanKey(key: string): string {
  let start = 0;
  let end = key.length;
  while (start < end && key.charCodeAt(start) === 45) start++;
  while (end > start && key.charCodeAt(end - 1) === 45) end--;
  return start === 0 && end === key.length ? key : key.slice(start, end);
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : stringifyJson(value);
}

/**
 * Makes a config value JSON-friendly: `Set` and other iterables' arrays,
 * `Map` → object, `Date` → ISO string, typed arrays → arrays, `bigint` →
 * number, objects with `toJSON()` → its result, class instances → their own
 * enumerable data (methods and other functions dropped), `undefined` → `null`
 * at the top and dropped inside objects. Functions, symbols and cycles are a
 * `TypeError` naming the key.
 *
 * @example
 * toConfigValue(new Set([1, 2])); // [1, 2]
 */
export function toConfigValue(value: unknown, key = 'value'): unknown {
  return convert(value, key, new Set());
}

function convert(value: unknown, path: string, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'bigint':
      return Number(value);
    case 'function':
    case 'symbol':
      throw new TypeError(`Expected config \`${path}\` to be JSON-friendly data, got ${describeValue(value)}`);
    default:
      break;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError(`Expected config \`${path}\` to be JSON-friendly data, got a circular reference`);
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v, i) => convert(v, `${path}[${i}]`, seen));
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
    if (obj instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of obj) out[String(k)] = convert(v, `${path}.${String(k)}`, seen);
      return out;
    }
    if (obj instanceof Set) return [...obj].map((v, i) => convert(v, `${path}[${i}]`, seen));
    if (ArrayBuffer.isView(obj) && !(obj instanceof DataView)) {
      return Array.from(obj as unknown as ArrayLike<number | bigint>, (v) => Number(v));
    }
    if (obj instanceof RegExp) return obj.toString();
    if (!isPlainObject(obj) && typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
      return convert((obj as { toJSON(): unknown }).toJSON(), path, seen);
    }
    const plain = isPlainObject(obj);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      // Class instances are data plus methods: keep the data.
      if (!plain && (typeof v === 'function' || typeof v === 'symbol')) continue;
      out[k] = convert(v, `${path}.${k}`, seen);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** Deep equality of JSON-friendly config values (`1` equals `1.0`; NaN equals NaN). */
export function configValuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!configValuesEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!configValuesEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
