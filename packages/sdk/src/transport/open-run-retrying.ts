import { CohortError, UsageError, type OpenRunRequestMessage, type OpenRunResponseMessage } from '@cohort/protocol';
import { openRun, type CoordinatorClient } from './grpc-client.js';

/** Codes after which `OpenRun` is tried again: the coordinator or the link was away, or busy. */
const OPEN_RETRY_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED']);

/**
 * `OpenRun`, tried again with backoff (0.1 s doubling to 2 s, jittered) while
 * the coordinator is unreachable, until `timeoutMs` in all. A try that failed
 * in flight may still have created the run, so when the SDK made the id up
 * (nobody else can hold it) the next tries resume it (`resume: "allow"`);
 * with an id the caller chose, the UsageError "already exists" after such a
 * try says that an earlier try may have made it.
 */
export async function openRunRetrying(
  client: CoordinatorClient,
  request: OpenRunRequestMessage,
  apiKey: string | undefined,
  timeoutMs: number,
  generatedId: boolean,
): Promise<OpenRunResponseMessage> {
  const deadline = Date.now() + timeoutMs;
  let req = request;
  let delayMs = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openRun(client, req, apiKey, Math.max(1, deadline - Date.now()));
    } catch (err) {
      const code = err instanceof CohortError ? err.code : '';
      if (attempt > 1 && err instanceof UsageError) {
        throw new UsageError(`${err.message} (an earlier try of this init may have created it before its connection dropped)`, { cause: err });
      }
      const wait = Math.round(delayMs * (0.5 + Math.random() / 2));
      if (!OPEN_RETRY_CODES.has(code) || Date.now() + wait >= deadline) throw err;
      await new Promise((r) => setTimeout(r, wait));
      delayMs = Math.min(2000, delayMs * 2);
      if (generatedId && req.resume === '' && req.resumeFrom === '' && req.forkFrom === '') req = { ...req, resume: 'allow' };
    }
  }
}
