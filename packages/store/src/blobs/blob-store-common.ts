import { CohortError, checkDigest } from '@cohort/protocol';
import type { ExpectedBlob } from './blob-store.js';

/** The digests among `digests` that `stat` does not find, asking at most `concurrency` at once. */
export async function missingByStat(
  digests: readonly string[],
  concurrency: number,
  stat: (digest: string) => Promise<unknown>,
): Promise<string[]> {
  const present = new Array<boolean>(digests.length);
  let next = 0;
  const worker = async () => {
    while (next < digests.length) {
      const i = next++;
      present[i] = (await stat(digests[i]!)) !== undefined;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, digests.length) }, worker));
  return digests.filter((_, i) => !present[i]);
}

/** What a put checks before reading a byte: a well-formed digest, a declared size within the bound. */
export function checkExpectedBlob(expected: ExpectedBlob, maxBlobBytes: number): void {
  if (expected.digest !== undefined) checkDigest(expected.digest);
  if (expected.size !== undefined && expected.size > maxBlobBytes) {
    throw new CohortError('RESOURCE_EXHAUSTED', `blob size: at most ${maxBlobBytes} bytes, got ${expected.size}`);
  }
}
