import type { ConfigState, ConfigUpdateOptions } from '@cohort/protocol';
import type { Logger } from './logger.js';

/** What {@link RunConfig} needs from its run. */
export interface ConfigHost {
  guard(method: string): void;
  sendConfig(values: Record<string, unknown>, allowValChange: boolean): void;
  readonly logger: Logger;
}

/**
 * `run.config` (docs/run-semantics.md §4). Besides the methods, keys read and write as
 * properties: `run.config.lr`, `run.config.batch = 32` (an update without
 * `allowValChange`). A key named like a method is reached with `get()`.
 */
export class RunConfig {
  readonly #state: ConfigState;
  readonly #host: ConfigHost;

  /** @internal Use `run.config`. */
  constructor(state: ConfigState, host: ConfigHost) {
    this.#state = state;
    this.#host = host;
  }

  /**
   * Adds or changes keys. Changing a key's value throws `ConfigError` unless
   * `allowValChange`; keys locked by a sweep are skipped with a warning.
   */
  update(values: Readonly<Record<string, unknown>>, options?: ConfigUpdateOptions): void {
    this.#host.guard('config.update');
    const { applied, warnings } = this.#state.update(values, options);
    for (const w of warnings) this.#host.logger.warn(w);
    if (Object.keys(applied).length > 0) this.#host.sendConfig(applied, options?.allowValChange ?? false);
  }

  /** Adds only the keys that are not set yet. */
  setDefaults(values: Readonly<Record<string, unknown>>): void {
    this.#host.guard('config.setDefaults');
    const applied = this.#state.setDefaults(values);
    if (Object.keys(applied).length > 0) this.#host.sendConfig(applied, false);
  }

  /** The value of a key (`--lr` and `lr` are one key). */
  get(key: string): unknown {
    return this.#state.get(key);
  }

  /** Whether a key is set. */
  has(key: string): boolean {
    return this.#state.has(key);
  }

  /** The keys, without those starting with `_`. */
  keys(): string[] {
    return this.#state.keys();
  }

  /** Every key and value as a plain object. */
  toJSON(): Record<string, unknown> {
    return this.#state.toJSON();
  }
}

/** `run.config` with property access to keys. */
export type RunConfigView = RunConfig & { [key: string]: unknown };

/** Wraps a {@link RunConfig} in a Proxy so keys read and write as properties. */
export function configView(config: RunConfig): RunConfigView {
  return new Proxy(config, {
    get(target, prop, receiver) {
      if (typeof prop === 'symbol' || prop in target) {
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      }
      void receiver;
      return target.get(prop);
    },
    set(target, prop, value) {
      if (typeof prop === 'symbol' || prop in target) return false;
      target.update({ [prop]: value });
      return true;
    },
    has(target, prop) {
      return typeof prop === 'string' ? target.has(prop) || prop in target : prop in target;
    },
    ownKeys(target) {
      return target.keys();
    },
    getOwnPropertyDescriptor(target, prop) {
      if (typeof prop === 'string' && target.has(prop)) {
        return { configurable: true, enumerable: true, writable: true, value: target.get(prop) };
      }
      return undefined;
    },
  }) as RunConfigView;
}
