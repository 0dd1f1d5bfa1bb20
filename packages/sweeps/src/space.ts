import type { ParamValue, ParameterNode, ParameterSpec } from './config-types.js';

/** One leaf parameter: its path through nested `parameters` and its distribution. */
export interface FlatParam {
  path: string[];
  /** The path joined with dots, for display and importance. */
  name: string;
  spec: ParameterSpec;
}

/** Leaf parameters in W&B's order: keys sorted at every level, depth first. */
export function flatten(parameters: Record<string, ParameterNode>, prefix: string[] = []): FlatParam[] {
  const out: FlatParam[] = [];
  for (const key of Object.keys(parameters).sort()) {
    const node = parameters[key]!;
    const path = [...prefix, key];
    if ('parameters' in node) out.push(...flatten(node.parameters, path));
    else out.push({ path, name: path.join('.'), spec: node });
  }
  return out;
}

/** Builds a trial's nested params from leaf values. */
export function nest(params: readonly FlatParam[], values: readonly ParamValue[]): Record<string, ParamValue> {
  const root: Record<string, ParamValue> = {};
  params.forEach((p, i) => {
    let at = root;
    for (const key of p.path.slice(0, -1)) {
      if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
      at = at[key] as Record<string, ParamValue>;
    }
    at[p.path[p.path.length - 1]!] = values[i];
  });
  return root;
}

/** A leaf's value in a trial's nested params (undefined when absent). */
export function valueAt(params: Record<string, ParamValue>, path: readonly string[]): ParamValue {
  let at: unknown = params;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !(key in at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** JSON with sorted keys: equal values give equal strings (3.0 and 3 are one number in JSON). */
export function stableKey(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableKey((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
