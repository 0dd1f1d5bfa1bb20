#!/usr/bin/env node
import { pino } from 'pino';
import { runCli } from './cli.js';
import { logFormat, prettyStream } from './log-lines.js';

// The one place in the CLI that touches process signals and the exit code.
const logger = pino(
  {
    level: process.env['COHORT_LOG_LEVEL'] ?? 'info',
    redact: ['apiKey', '*.apiKey', 'headers.authorization', 'req.headers.authorization'],
  },
  // A person at a terminal reads concise lines; a pipe or a file gets pino's JSON (COHORT_LOG_FORMAT overrides).
  logFormat(process.stderr.isTTY === true, process.env) === 'pretty' ? prettyStream(process.stderr) : pino.destination({ dest: 2, sync: true }),
);

const stop = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals++;
  if (signals === 1) {
    logger.info({ signal }, 'stopping; send it again to exit at once');
    stop.abort();
  } else {
    process.exit(130);
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  logger,
  signal: stop.signal,
  cwd: process.cwd(),
});
process.exitCode = code;
// Leftover handles (an SDK socket, a keep-alive agent) must not keep a finished command alive.
setTimeout(() => process.exit(code), 2000).unref();
