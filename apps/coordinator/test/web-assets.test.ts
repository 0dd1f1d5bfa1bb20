import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultWebDir, startCoordinator } from '../src/index.js';

describe('the dashboard files', () => {
  const root = mkdtempSync(join(tmpdir(), 'cohort-web-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(dist, 'assets', 'app-abc.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'do not serve');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('serves files, falls back to index.html for pages, and never leaves its folder', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0, webDir: dist });
    const js = await fetch(`${c.httpUrl}/assets/app-abc.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toBe('console.log(1)');
    const page = await fetch(`${c.httpUrl}/local/proj/runs/abc`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('id="app"');
    for (const sneaky of ['/..%2Fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2F..%2Fsecret.txt']) {
      expect(await (await fetch(`${c.httpUrl}${sneaky}`)).text(), sneaky).not.toContain('do not serve');
    }
    expect((await fetch(`${c.httpUrl}/assets/missing.js`)).status).toBe(404);
    // The API and POSTs are not the dashboard's.
    expect((await fetch(`${c.httpUrl}/api/v1/health`)).headers.get('content-type')).toMatch(/^application\/json/);
    expect((await fetch(`${c.httpUrl}/local/proj`, { method: 'POST' })).status).toBe(405);
  });

  it('finds the installed @cohort/web package, or COHORT_WEB_DIR, and refuses a COHORT_WEB_DIR without index.html', () => {
    // In this repository @cohort/web is apps/web, linked into node_modules (npm run build made its dist/).
    expect(defaultWebDir({})).toEqual({ dir: resolve(import.meta.dirname, '../../web/dist') });
    expect(defaultWebDir({ COHORT_WEB_DIR: dist })).toEqual({ dir: dist });
    expect(() => defaultWebDir({ COHORT_WEB_DIR: root })).toThrow(`COHORT_WEB_DIR: ${root} must be a built dashboard folder (it has no index.html)`);
  });

  it('says when the installed coordinator finds no @cohort/web, or an unbuilt one', () => {
    // The built module in a project of its own (outside the repository): Node's own resolution finds @cohort/web or not.
    const project = mkdtempSync(join(tmpdir(), 'cohort-no-web-'));
    try {
      mkdirSync(join(project, 'node_modules/@cohort'), { recursive: true });
      symlinkSync(resolve(import.meta.dirname, '../../../packages/protocol'), join(project, 'node_modules/@cohort/protocol'));
      copyFileSync(resolve(import.meta.dirname, '../dist/web-assets.js'), join(project, 'web-assets.mjs'));
      const found = () =>
        JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', "console.log(JSON.stringify((await import('./web-assets.mjs')).defaultWebDir({})))"], { cwd: project, encoding: 'utf8' }));
      expect(found()).toEqual({ dir: null, why: 'the dashboard is not installed (npm install @cohort/web, or set COHORT_WEB_DIR): serving minimal pages' });
      const web = join(project, 'node_modules/@cohort/web');
      mkdirSync(web);
      writeFileSync(join(web, 'package.json'), JSON.stringify({ name: '@cohort/web', version: '0.1.0', exports: { './package.json': './package.json' } }));
      expect(found()).toEqual({ dir: null, why: `the dashboard is not built (${join(web, 'dist')} has no index.html; run npm run build): serving minimal pages` });
      mkdirSync(join(web, 'dist'));
      writeFileSync(join(web, 'dist/index.html'), '<!doctype html>');
      expect(found()).toEqual({ dir: join(web, 'dist') });
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
