export { S3BlobStore, s3ClientConfig, type S3BlobStoreOptions, type S3ConnectionOptions } from './s3-blob-store.js';
export { parseS3Url } from './s3-url.js';
