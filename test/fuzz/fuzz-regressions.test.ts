import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { startCoordinator } from '@cohort/coordinator';
import { callRaw, loadMethods, rawField } from './raw-grpc.js';
import { rawHttp } from './raw-http.js';

/** The bugs the fuzzers found, each kept as a plain example (docs/RELIABILITY.md). */
describe('fuzzer findings stay fixed', () => {
  const methods = loadMethods();

  it('answers bytes that do not decode with INVALID_ARGUMENT naming the method, not INTERNAL', async () => {
    await using coordinator = await startCoordinator({ dataDir: ':memory:', grpcPort: 0, httpPort: 0 });
    const client = new grpc.Client(coordinator.grpcAddress, grpc.credentials.createInsecure());
    try {
      for (const path of ['/cohort.v1.Coordinator/OpenRun', '/cohort.v1.Coordinator/StreamRecords', '/cohort.v1.Blobs/UploadBlob', '/cohort.v1.Artifacts/SaveArtifact']) {
        const outcome = await callRaw(client, methods.get(path)!, [Buffer.from([0])], 15_000);
        expect(outcome.code, path).toBe(grpc.status.INVALID_ARGUMENT);
        expect(outcome.details).toMatch(new RegExp(`^${path.split('/').pop()!}: the request is not a valid protobuf message \\(`));
      }
      expect(coordinator.stats().streams).toBe(0);
    } finally {
      client.close();
    }
  });

  it('answers a request target starting with // as a path instead of throwing', async () => {
    await using coordinator = await startCoordinator({ dataDir: ':memory:', grpcPort: 0, httpPort: 0 });
    const port = Number(new URL(coordinator.httpUrl).port);
    // `new URL('//..%5C..', base)` reads a host and throws: uncaught in the request handler, it ended the process.
    for (const target of ['//..%5C..%5Ccohort.db/runs', '//evil.example/x', '//', '/api//..%5C']) {
      for (const method of ['GET', 'HEAD', 'POST']) {
        const outcome = await rawHttp(port, Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: x\r\n\r\n`), 15_000);
        expect(outcome.status, `${method} ${target}`).toBeDefined();
        expect(outcome.status!, `${method} ${target}`).toBeLessThan(500);
      }
    }
    expect((await fetch(`${coordinator.httpUrl}/healthz`)).status).toBe(200);
  });

  it('answers an error that quotes half a surrogate pair instead of crashing on it', async () => {
    await using coordinator = await startCoordinator({ dataDir: ':memory:', grpcPort: 0, httpPort: 0 });
    const client = new grpc.Client(coordinator.grpcAddress, grpc.credentials.createInsecure());
    try {
      const openRun = methods.get('/cohort.v1.Coordinator/OpenRun')!;
      // The refusal quotes the group cut to 80 characters, which splits an emoji's surrogate pair; grpc-js percent-encodes
      // status details with encodeURI, which throws on a lone surrogate: the call hung and the rejection was unhandled
      // (a coordinator process would exit).
      const outcome = await callRaw(client, openRun, [openRun.encode({ project: 'p', group: `x${'\u{1F600}'.repeat(100)}` })], 15_000);
      expect(outcome.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(outcome.details).toContain('\ufffd');
      // A 70 000-character value quoted in an error is cut, not sent whole in the trailer.
      const long = await callRaw(client, openRun, [openRun.encode({ project: 'p', resume: 'r'.repeat(70_000) })], 15_000);
      expect(long.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(long.details.length).toBeLessThanOrEqual(4096);
      // A hello whose project is not UTF-8 names no run.
      const stream = await callRaw(client, methods.get('/cohort.v1.Coordinator/StreamRecords')!, [rawField(1, Buffer.concat([rawField(2, Buffer.from([0xed, 0xa0, 0x80])), rawField(3, Buffer.from('r'))]))], 15_000);
      expect(stream.code).toBe(grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });
});
