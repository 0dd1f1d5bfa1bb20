export type { BlobStore, ExpectedBlob, PutBlobResult } from './blob-store.js';
export { LocalBlobStore, type LocalBlobStoreOptions } from './local-blob-store.js';
