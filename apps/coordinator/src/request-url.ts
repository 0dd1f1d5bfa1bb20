import type { IncomingMessage } from 'node:http';

/**
 * The URL of a request's target, parsed the one way every HTTP route does;
 * never throws. The target is always taken as a path: `new URL(target, base)`
 * reads `//host/x` as another host, and throws on `//..%5C..` (an uncaught
 * throw in a request handler ends the process), so the base is prefixed
 * instead. A target that is not a path (`*`, `http://...`) becomes one.
 */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  return new URL(`http://localhost${target.startsWith('/') ? '' : '/'}${target}`);
}
