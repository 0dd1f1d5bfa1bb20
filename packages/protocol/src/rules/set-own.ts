/** Internal to rules/: not re-exported by the package. */

/** Assigns an own property, even one named `__proto__` (which `=` would take as the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
