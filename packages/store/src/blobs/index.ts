export type { BlobStore, DownloadUrlOptions, ExpectedBlob, PutBlobResult, StoredBlob } from './blob-store.js';
export { LocalBlobStore, type LocalBlobStoreOptions } from './local-blob-store.js';
