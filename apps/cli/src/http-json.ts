import { CohortError, parseJson, type ErrorCode, ERROR_CODES } from '@cohort/protocol';

/**
 * `GET <url>` of the coordinator's JSON API, bounded by `timeoutMs`. An error
 * answer becomes a `CohortError` with the server's code and message.
 */
export async function getJson(url: string, timeoutMs = 30_000, apiKey?: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', ...(apiKey !== undefined && { authorization: `Bearer ${apiKey}` }) },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new CohortError('UNAVAILABLE', `cannot reach the Cohort server at ${new URL(url).origin} (${(err as Error).message}); is it running? Start one with \`cohort server\` or set --url / COHORT_URL`, { cause: err });
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = parseJson(text);
  } catch {
    throw new CohortError('UNAVAILABLE', `${url} answered HTTP ${res.status} with a body that is not JSON; is it a Cohort server?`);
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = (ERROR_CODES as readonly unknown[]).includes(error?.code) ? (error!.code as ErrorCode) : 'INTERNAL';
    throw new CohortError(code, typeof error?.message === 'string' ? error.message : `${url} answered HTTP ${res.status}`);
  }
  return body;
}
