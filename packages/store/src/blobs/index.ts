export type { BlobStore, DownloadUrlOptions, ExpectedBlob, PutBlobResult, StoredBlob } from './blob-store.js';
export { LocalBlobStore, type LocalBlobStoreOptions } from './local-blob-store.js';
export { collectBlobGarbage, type BlobGcOptions, type BlobGcReport } from './blob-gc.js';
