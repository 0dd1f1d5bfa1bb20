import { describe, expect, it } from 'vitest';
import { startCoordinator } from '../src/index.js';
import { connect, getJson, openRun } from './helpers.js';

describe('HTTP API errors and pages', () => {
  it('answers JSON errors with the status of their code', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    const missingRun = await getJson(`${c.httpUrl}/api/v1/runs/local/proj/nope`);
    expect(missingRun).toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'run local/proj/nope does not exist' } } });

    const missingHistory = await getJson(`${c.httpUrl}/api/v1/runs/local/proj/nope/history`);
    expect(missingHistory.status).toBe(404);
    expect(missingHistory.body.error.code).toBe('NOT_FOUND');

    const noRoute = await getJson(`${c.httpUrl}/api/v1/nothing`);
    expect(noRoute.status).toBe(404);
    expect(noRoute.body.error.message).toMatch(/no route for "\/api\/v1\/nothing"/);
  });

  it('answers 400 naming a bad query parameter', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    await openRun(client, { project: 'proj', runId: 'run1' });
    const base = `${c.httpUrl}/api/v1/runs/local/proj/run1`;
    const cases: [string, string][] = [
      [`${base}/history?samples=abc`, 'query parameter `samples`: expected an integer from 1 to 100000, got "abc"'],
      [`${base}/history?samples=0`, 'query parameter `samples`: expected an integer from 1 to 100000, got "0"'],
      [`${base}/history?minStep=5&maxStep=2`, 'query parameter `minStep`: 5 is above maxStep 2'],
      [`${base}/history?bogus=1`, 'query parameter `bogus` is not known here; expected `keys`, `samples`, `xAxis`, `minStep`, `maxStep`'],
      [`${base}/history?keys=a&keys=b`, 'query parameter `keys` is given more than once'],
      [`${base}/history/scan?pageSize=100000`, 'query parameter `pageSize`: expected an integer from 1 to 10000, got "100000"'],
      [`${c.httpUrl}/api/v1/runs/local/proj?filters=%7Bnope`, 'query parameter `filters`: expected a JSON object, got text that does not parse'],
      [`${c.httpUrl}/api/v1/runs/local/proj?filters=${encodeURIComponent('{"colour":"red"}')}`, 'query parameter `filters`:'],
      [`${c.httpUrl}/api/v1/runs/local/proj?filters=${encodeURIComponent('{"state":"sleeping"}')}`, 'filters.state: expected one of'],
    ];
    for (const [url, message] of cases) {
      const res = await getJson(url);
      expect(res.status, url).toBe(400);
      expect(res.body.error.code).toBe('INVALID_ARGUMENT');
      expect(res.body.error.message).toContain(message);
    }
    // An empty value counts as absent.
    expect((await getJson(`${base}/history?minStep=&maxStep=`)).status).toBe(200);
  });

  it('refuses methods other than GET with 405', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    const res = await fetch(`${c.httpUrl}/api/v1/health`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect((await res.json()).error.code).toBe('INVALID_ARGUMENT');
  });

  it('escapes user strings in the run page', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0, webDir: null });
    using client = connect(c.grpcAddress);
    const opened = await openRun(client, {
      project: 'proj',
      runId: 'run1',
      name: '<script>alert(1)</script>',
      configJson: '{"<b>key</b>":"<img src=x onerror=alert(2)>"}',
    });
    const res = await fetch(opened.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const page = await res.text();
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>key');
    expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page).toContain('running');

    const index = await (await fetch(`${c.httpUrl}/`)).text();
    expect(index).toContain('local/proj');
    const project = await (await fetch(`${c.httpUrl}/local/proj`)).text();
    expect(project).toContain('&#60;script&#62;');
    expect(project).not.toContain('<script>');

    const missing = await fetch(`${c.httpUrl}/local/proj/runs/%3Cscript%3E`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).not.toContain('<script>');
  });
});
