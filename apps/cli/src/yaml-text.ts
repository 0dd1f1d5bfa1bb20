/**
 * Writes plain data (objects, arrays, strings, numbers, booleans, null) as
 * block YAML. Strings are always double-quoted JSON strings (valid YAML), so
 * no value can turn into another type or break the structure.
 *
 * @example
 * toYaml({ a: [1, 'x'] }); // 'a:\n  - 1\n  - "x"\n'
 */
export function toYaml(value: unknown): string {
  return `${emit(value, 0).replace(/^\n/, '')}\n`;
}

/** Several documents, separated by `---`. */
export function toYamlDocuments(docs: readonly unknown[]): string {
  return docs.map((d) => toYaml(d)).join('---\n');
}

function scalar(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`Expected a finite number in the manifest, got ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw new TypeError(`Expected plain data in the manifest, got ${typeof v}`);
}

function emit(value: unknown, indent: number): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []';
    return value
      .map((item) => {
        const body = emit(item, indent + 2);
        // "- key: v" for objects: the first line joins the dash.
        return `\n${pad}-${body.startsWith('\n') ? ` ${body.slice(indent + 3)}` : body}`;
      })
      .join('');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return ' {}';
    return entries.map(([k, v]) => `\n${pad}${/^[A-Za-z_][\w./-]*$/.test(k) ? k : JSON.stringify(k)}:${emit(v, indent + 2)}`).join('');
  }
  return ` ${scalar(value)}`;
}
