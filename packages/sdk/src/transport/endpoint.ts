import { readFile } from 'node:fs/promises';
import { CohortError, parseJson } from '@cohort/protocol';
import { API_KEY_HINT, createCoordinatorClient, getServerInfo, type CoordinatorClient } from './grpc-client.js';

/** Where a coordinator serves, as `/api/v1/info` (or `GetServerInfo`) tells. */
export interface ServerEndpoint {
  /** `host:port`, or `grpcs://host:port` when the server speaks TLS. */
  readonly grpcAddress: string;
  /** The CA certificate (PEM) trusted for TLS instead of the system's roots. */
  readonly tlsCa: Buffer | undefined;
  /** `undefined` when only a gRPC address was given and the server did not say. */
  readonly httpUrl: string | undefined;
  readonly defaultEntity: string | undefined;
}

/** True for an `http://` or `https://` URL (else `COHORT_URL` is a bare gRPC `host:port`). */
export function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/**
 * Resolves `COHORT_URL`: an HTTP URL is asked `GET /api/v1/info`; a bare
 * `host:port` is the gRPC address itself (its HTTP URL comes from `GetServerInfo`).
 * TLS: an `https://` URL, or `grpcs://host:port`; `tlsCaPath` names a PEM CA to trust.
 */
export async function resolveEndpoint(url: string, apiKey: string | undefined, timeoutMs: number, tlsCaPath?: string): Promise<ServerEndpoint> {
  let tlsCa: Buffer | undefined;
  if (tlsCaPath !== undefined) {
    try {
      tlsCa = await readFile(tlsCaPath);
    } catch (err) {
      throw new CohortError('INVALID_ARGUMENT', `tlsCa (COHORT_TLS_CA): cannot read ${tlsCaPath} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
    }
  }
  if (isHttpUrl(url)) {
    const base = url.replace(/\/+$/, '');
    const info = await fetchInfo(base, apiKey, timeoutMs);
    const grpcAddress = typeof info['grpcAddress'] === 'string' ? info['grpcAddress'] : '';
    if (grpcAddress === '') throw new CohortError('INTERNAL', `${base}/api/v1/info did not give a grpcAddress`);
    const httpUrl = typeof info['httpUrl'] === 'string' && info['httpUrl'] !== '' ? info['httpUrl'] : base;
    const defaultEntity = typeof info['defaultEntity'] === 'string' && info['defaultEntity'] !== '' ? info['defaultEntity'] : undefined;
    const tls = /^https:/i.test(base) && !/^grpcs?:\/\//i.test(grpcAddress);
    return { grpcAddress: tls ? `grpcs://${grpcAddress}` : grpcAddress, tlsCa, httpUrl, defaultEntity };
  }
  const client = createCoordinatorClient(url, tlsCa);
  try {
    const info = await getServerInfo(client, apiKey, timeoutMs);
    return {
      grpcAddress: url,
      tlsCa,
      httpUrl: info.httpUrl || undefined,
      defaultEntity: info.defaultEntity || undefined,
    };
  } finally {
    client.close();
  }
}

/** `GET <base>/api/v1/info`, with the API key and a deadline. */
export async function fetchInfo(base: string, apiKey: string | undefined, timeoutMs: number): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey !== undefined) headers['authorization'] = `Bearer ${apiKey}`;
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/info`, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new CohortError('UNAVAILABLE', `Cannot reach the Cohort server at ${base} (${(err as Error).message}). Is it running? Set COHORT_URL, or use mode "offline".`, { cause: err });
  }
  if (!res.ok) {
    // A server that is there but refuses is not retried; one that is busy (429) or failing is.
    const code = res.status === 401 ? 'UNAUTHENTICATED' : res.status === 403 ? 'PERMISSION_DENIED' : res.status === 429 || res.status >= 500 ? 'UNAVAILABLE' : 'FAILED_PRECONDITION';
    const hint = res.status === 401 ? `: ${API_KEY_HINT}` : '';
    throw new CohortError(code, `${base}/api/v1/info answered HTTP ${res.status}${hint}`);
  }
  const body = parseJson(await res.text());
  if (body === null || typeof body !== 'object') throw new CohortError('INTERNAL', `${base}/api/v1/info did not answer a JSON object`);
  return body as Record<string, unknown>;
}

/** A client for the endpoint's gRPC address. */
export function connect(endpoint: ServerEndpoint): CoordinatorClient {
  return createCoordinatorClient(endpoint.grpcAddress, endpoint.tlsCa);
}
