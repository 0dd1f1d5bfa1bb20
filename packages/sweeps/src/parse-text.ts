import { parseDocument, visit } from 'yaml';
import { SweepConfigError } from './config-types.js';

/** A number written as a float (`1.0`, `1e3`) whose value is a whole number. */
class FloatLiteral {
  constructor(readonly value: number) {}
}

export interface ParsedText {
  value: unknown;
  /** Dotted paths of whole numbers written as floats: `min: 0.0, max: 1.0` is uniform, not int_uniform, as in W&B's Python. */
  floatPaths: Set<string>;
}

/** Parses YAML or JSON text (JSON is YAML), remembering which whole numbers were written as floats. */
export function parseSweepText(text: string): ParsedText {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SweepConfigError(doc.errors.map((e) => ({ path: '', rule: `not valid YAML or JSON: ${e.message.split('\n')[0]}` })));
  }
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'number' && Number.isInteger(node.value) && /[.eE]/.test(node.source ?? '')) {
        node.value = new FloatLiteral(node.value);
      }
    },
  });
  const floatPaths = new Set<string>();
  const value = unmark(doc.toJS({ maxAliasCount: 100 }), '', floatPaths);
  return { value, floatPaths };
}

function unmark(value: unknown, path: string, floats: Set<string>): unknown {
  if (value instanceof FloatLiteral) {
    floats.add(path);
    return value.value;
  }
  if (Array.isArray(value)) return value.map((v, i) => unmark(v, join(path, String(i)), floats));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = unmark(v, join(path, k), floats);
    return out;
  }
  return value;
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
