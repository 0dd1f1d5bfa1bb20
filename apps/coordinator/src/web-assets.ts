import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { CohortError } from '@cohort/protocol';

/**
 * Serves the dashboard's built files (the `@cohort/web` package's `dist/`,
 * made by `npm run build`) with a single-page-app fallback: any GET outside
 * `/api/` that is not a file gets `index.html`, and the app routes in the
 * browser. The coordinator never imports the web package: it only reads its
 * output folder, found at run time (an optional peer dependency; the
 * `@cohort/cli` package installs it).
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The dashboard's policy: scripts only from this origin, so a string that
 * slipped into the DOM as markup still could not run. Logged media are run
 * files read from this origin (`/api/v1/runs/.../files/media/...`): images,
 * audio and video by URL, HTML media in a `sandbox=""` iframe of that URL.
 * Framing the dashboard stays allowed: `run.toHtml()` embeds run pages.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; media-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/** Largest file served (the built bundle is far smaller). */
const MAX_ASSET_BYTES = 16 * 1024 * 1024;

/** The dashboard folder, or why there is none (the coordinator then serves minimal pages). */
export type DefaultWebDir = { readonly dir: string } | { readonly dir: null; readonly why: string };

/**
 * The dashboard folder: `COHORT_WEB_DIR` when set (an error when it holds no
 * `index.html`), else the `dist/` of the installed `@cohort/web` package
 * (`apps/web` in this repository) when it is built.
 */
export function defaultWebDir(env: NodeJS.ProcessEnv = process.env): DefaultWebDir {
  const fromEnv = env['COHORT_WEB_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') {
    const dir = resolve(fromEnv);
    if (!existsSync(join(dir, 'index.html'))) {
      throw new CohortError('INVALID_ARGUMENT', `COHORT_WEB_DIR: ${dir} must be a built dashboard folder (it has no index.html)`);
    }
    return { dir };
  }
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('@cohort/web/package.json');
  } catch {
    return { dir: null, why: 'the dashboard is not installed (npm install @cohort/web, or set COHORT_WEB_DIR): serving minimal pages' };
  }
  const dir = join(dirname(pkg), 'dist');
  if (!existsSync(join(dir, 'index.html'))) return { dir: null, why: `the dashboard is not built (${dir} has no index.html; run npm run build): serving minimal pages` };
  return { dir };
}

/** A static handler over one folder. */
export interface WebAssets {
  readonly dir: string;
  /** Answers a GET/HEAD for a non-API path: a file of the folder, else `index.html`. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void>;
}

/** Creates the handler; `index.html` is read once, files on each request. */
export function createWebAssets(dir: string): WebAssets {
  const root = resolve(dir);
  const index = readFileSync(join(root, 'index.html'));
  const send = (res: ServerResponse, head: boolean, type: string, body: Buffer, cache: string): void => {
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'cache-control': cache,
      'x-content-type-options': 'nosniff',
      'content-security-policy': DASHBOARD_CSP,
      'referrer-policy': 'same-origin',
    });
    res.end(head ? undefined : body);
  };
  return {
    dir: root,
    async serve(req, res, pathname) {
      const head = req.method === 'HEAD';
      let rel: string;
      try {
        rel = decodeURIComponent(pathname);
      } catch {
        rel = '/';
      }
      const file = normalize(join(root, rel));
      const inside = file.startsWith(root + sep) && !rel.includes('\0');
      if (inside && extname(file) !== '' && !file.endsWith('index.html')) {
        try {
          const st = statSync(file);
          if (st.isFile() && st.size <= MAX_ASSET_BYTES) {
            const body = await readFile(file);
            // Vite names built assets by content hash: they never change under one name.
            const cache = rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
            send(res, head, TYPES[extname(file)] ?? 'application/octet-stream', body, cache);
            return;
          }
        } catch {
          // not a file: the app's router decides (and shows its own 404)
        }
      }
      if (rel.startsWith('/assets/')) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
        res.end(head ? undefined : 'not found\n');
        return;
      }
      send(res, head, TYPES['.html']!, index, 'no-cache');
    },
  };
}
