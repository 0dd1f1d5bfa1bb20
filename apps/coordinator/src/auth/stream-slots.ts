import { CohortError } from '@cohort/protocol';
import type { Principal } from './principal.js';

/**
 * Slots of long-lived streams (record streams, live SSE views): a bound for
 * the whole server and a smaller one per caller (an API key, or an address
 * without keys), so one caller can never take every slot and shut the
 * others out (docs/SECURITY.md, "Streams").
 */
export class StreamSlots {
  readonly #what: string;
  readonly #max: number;
  readonly #perCaller: number;
  readonly #byCaller = new Map<string, number>();
  #total = 0;

  /**
   * @param what - what the slots are for, in errors ("record streams").
   * @param max - slots of the whole server.
   * @param perCaller - slots one caller may hold.
   */
  constructor(what: string, max: number, perCaller: number) {
    this.#what = what;
    this.#max = max;
    this.#perCaller = Math.min(perCaller, max);
  }

  /** Slots taken now. */
  get size(): number {
    return this.#total;
  }

  /** Throws RESOURCE_EXHAUSTED when the server has no slot left (checked before the caller is known). */
  checkFree(): void {
    if (this.#total >= this.#max) throw new CohortError('RESOURCE_EXHAUSTED', `${this.#what}: the server serves at most ${this.#max} at once; retry later`, { retryAfterMs: 1000 });
  }

  /**
   * Takes a slot for `caller` ({@link callerOf}); returns its release (safe to
   * call more than once). Throws RESOURCE_EXHAUSTED naming the bound it met.
   */
  take(caller: string): () => void {
    this.checkFree();
    const held = this.#byCaller.get(caller) ?? 0;
    if (held >= this.#perCaller) {
      throw new CohortError('RESOURCE_EXHAUSTED', `${this.#what}: one API key (or address, without keys) may hold at most ${this.#perCaller} at once; close some first`);
    }
    this.#byCaller.set(caller, held + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const n = (this.#byCaller.get(caller) ?? 1) - 1;
      if (n === 0) this.#byCaller.delete(caller);
      else this.#byCaller.set(caller, n);
    };
  }
}

/** Who holds a slot: the API key, or the caller's address on a server without keys. */
export function callerOf(principal: Principal, address: string): string {
  return principal.superuser === true ? `addr:${address}` : `key:${principal.keyId}`;
}
