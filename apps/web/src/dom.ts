/**
 * DOM building without markup strings: every text goes through
 * `textContent` (or a text node), every attribute through `setAttribute` on
 * an allow-list, so a logged `<script>` stays text. The dashboard never sets
 * `innerHTML` from data.
 */

type Child = Node | string | number | null | undefined | false;

/** Attributes `h()` may set; `on*` handlers and `style` strings are not among them. */
const ALLOWED_ATTRS = new Set([
  'class', 'id', 'href', 'title', 'type', 'value', 'placeholder', 'name', 'for', 'colspan', 'rowspan', 'min', 'max', 'step',
  'checked', 'selected', 'disabled', 'role', 'aria-label', 'data-testid', 'data-key', 'data-state', 'data-points', 'data-link',
  'src', 'alt', 'controls', 'sandbox', 'width', 'height', 'loading', 'referrerpolicy', 'target', 'rel', 'tabindex', 'autocomplete', 'size',
]);

/**
 * Creates an element. `attrs` values are set as attributes (booleans toggle);
 * children strings become text nodes.
 *
 * @example
 * h('a', { href: runHref(run) }, run.name) // the name is text, never markup
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === false) continue;
      if (!ALLOWED_ATTRS.has(name)) throw new Error(`h(): attribute ${name} is not allowed`);
      if ((name === 'href' || name === 'src') && !isSafeUrl(String(value))) continue;
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, ...children);
  return el;
}

/** Appends children (strings as text). */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Removes every child. */
export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** URLs the dashboard puts in `href`/`src`: same-origin paths (media are run files there) and http(s) links. */
export function isSafeUrl(url: string): boolean {
  if (url.startsWith('/') && !url.startsWith('//')) return true;
  if (url.startsWith('#') || url.startsWith('?')) return true;
  return /^https?:/i.test(url);
}
