import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { init } from '@cohort/sdk';
import { recordingLogger } from '../../packages/sdk/src/test-logger.js';
import { freePort } from '../harness/free-port.js';

/** What `init()` tells a new user whose server setup is wrong (issue 13: a 401, a wrong COHORT_URL). */
describe('init() explains a wrong server setup', () => {
  let secured: Coordinator;
  beforeAll(async () => {
    secured = await startCoordinator({ auth: 'keys', grpcPort: 0, httpPort: 0, webDir: null });
  });
  afterAll(async () => {
    await secured.close();
  });

  it('says to set COHORT_API_KEY when the server refuses the key', async () => {
    // By the HTTP URL (`/api/v1/info` answers 401) and by the bare gRPC address (the call is refused).
    for (const url of [secured.httpUrl, secured.grpcAddress]) {
      process.env['COHORT_URL'] = url;
      const attempt = init({ project: 'p', settings: { silent: true, initTimeoutMs: 5000, systemMetricsSeconds: 0 } });
      await expect(attempt, url).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('Set COHORT_API_KEY') });
    }
  });

  it('says early, once, that it is still trying to reach a server that does not answer', async () => {
    // A port that accepts connections and never answers: the worst wrong COHORT_URL.
    const port = await freePort();
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', r));
    const previous = process.env['COHORT_URL'];
    process.env['COHORT_URL'] = `http://127.0.0.1:${port}`;
    try {
      const logger = recordingLogger();
      const started = Date.now();
      let warnedAt = 0;
      const warn = logger.warn;
      logger.warn = (m) => {
        warnedAt ||= Date.now() - started;
        warn(m);
      };
      await expect(init({ project: 'p', settings: { logger, initTimeoutMs: 4000, systemMetricsSeconds: 0 } })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      const warnings = logger.lines.filter(([level]) => level === 'warn').map(([, m]) => m);
      expect(warnings).toEqual([expect.stringMatching(new RegExp(`^still trying to reach the Cohort server at http://127\\.0\\.0\\.1:${port} \\(COHORT_URL\\); giving up \\d+ s from now`))]);
      expect(warnedAt).toBeGreaterThanOrEqual(1900);
      expect(warnedAt).toBeLessThan(3500);
    } finally {
      if (previous === undefined) delete process.env['COHORT_URL'];
      else process.env['COHORT_URL'] = previous;
      silent.close();
    }
  });
});
