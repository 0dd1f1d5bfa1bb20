/**
 * Where the login page goes once logged in: `next` when it is a path of this
 * origin, else `/`. `next` comes from the URL, so anyone can write it; it is
 * resolved the way the browser will (a backslash counts as a slash, tabs and
 * newlines are dropped), so `/\evil.test` or `/<tab>/evil.test` cannot leave
 * the origin (docs/SECURITY.md, "Browser").
 *
 * @example
 * safeNext('/vision/p?x=1', 'http://127.0.0.1:7712'); // '/vision/p?x=1'
 * safeNext('/\\evil.test/x', 'http://127.0.0.1:7712'); // '/'
 */
export function safeNext(next: string, origin: string): string {
  if (!next.startsWith('/')) return '/';
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return '/';
  }
  return url.origin === origin ? `${url.pathname}${url.search}${url.hash}` : '/';
}
