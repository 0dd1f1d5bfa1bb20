/** True when a Cohort server answers `GET <url>/api/v1/health` within `timeoutMs`. */
export async function isServerUp(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/api/v1/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
