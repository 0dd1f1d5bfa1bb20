import { UsageError, type OpenRunRequestMessage, type OpenRunResponseMessage } from '@cohort/protocol';
import { openRun, type CoordinatorClient } from './grpc-client.js';
import { retryingUntil } from './retrying.js';

/**
 * `OpenRun`, tried again with backoff while the coordinator is unreachable
 * (`retryingUntil`), until `deadline`. A try that failed in flight may
 * still have created the run, so when the SDK made the id up (nobody else
 * can hold it) the next tries resume it (`resume: "allow"`); with an id the
 * caller chose, the UsageError "already exists" after such a try says that
 * an earlier try may have made it.
 */
export async function openRunRetrying(
  client: CoordinatorClient,
  request: OpenRunRequestMessage,
  apiKey: string | undefined,
  deadline: number,
  generatedId: boolean,
): Promise<OpenRunResponseMessage> {
  const resumable = generatedId && request.resume === '' && request.resumeFrom === '' && request.forkFrom === '';
  return retryingUntil(deadline, async (attempt, leftMs) => {
    const req = attempt > 1 && resumable ? { ...request, resume: 'allow' } : request;
    try {
      return await openRun(client, req, apiKey, leftMs);
    } catch (err) {
      if (attempt > 1 && err instanceof UsageError) {
        throw new UsageError(`${err.message} (an earlier try of this init may have created it before its connection dropped)`, { cause: err });
      }
      throw err;
    }
  });
}
