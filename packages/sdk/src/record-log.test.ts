import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecord, withOpenRunDefaults } from '@cohort/protocol';
import { RecordLog } from './record-log.js';
import { recordingLogger } from './test-logger.js';
import { WalWriter } from './wal/segment-writer.js';
import { listSegments, scanSegment } from './wal/wal-reader.js';

const header = { formatVersion: 1, open: withOpenRunDefaults({ project: 'p', runId: 'r' }) };
const alert = (title: string) => ({ kind: 'alert' as const, alert: { title, text: 'x'.repeat(200), level: 'INFO', waitDurationMs: 0, timestamp: 0 } });

describe('RecordLog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-log-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('numbers records after the applied seq', async () => {
    const log = new RecordLog({ appliedSeq: 41, wal: undefined, maxBufferedBytes: 1 << 20, maxWalBytes: 1 << 30, logger: recordingLogger() });
    expect(log.append(alert('a'))).toBe(42);
    expect(log.append(alert('b'))).toBe(43);
    const got = await log.read(42, 1 << 20);
    expect(got.map((e) => decodeRecord(e.bytes).seq)).toEqual([42, 43]);
    expect(log.appendedCount).toBe(2);
  });

  it('reads evicted records back from the WAL for a resend', async () => {
    const wal = await WalWriter.open(dir, header, { segmentBytes: 1024 });
    const log = new RecordLog({ appliedSeq: 0, wal, maxBufferedBytes: 600, maxWalBytes: 1 << 30, logger: recordingLogger() });
    for (let i = 1; i <= 20; i++) log.append(alert(`t${i}`));
    const fromStart = await log.read(1, 1 << 20);
    expect(fromStart[0]!.seq).toBe(1);
    const all: number[] = [];
    let next = 1;
    while (next <= 20) {
      const batch = await log.read(next, 1000);
      expect(batch.length).toBeGreaterThan(0);
      for (const e of batch) all.push(decodeRecord(e.bytes).seq);
      next = batch[batch.length - 1]!.seq + 1;
    }
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await log.close();
  });

  it('trims the WAL and wakes waiters as commits arrive', async () => {
    const wal = await WalWriter.open(dir, header, { segmentBytes: 1024 });
    const log = new RecordLog({ appliedSeq: 0, wal, maxBufferedBytes: 1 << 20, maxWalBytes: 1 << 30, logger: recordingLogger() });
    for (let i = 1; i <= 20; i++) {
      log.append(alert(`t${i}`));
    }
    const segments = (await listSegments(dir)).length;
    expect(segments).toBeGreaterThan(3);
    const waiting = log.waitCommitted(20, 5000);
    log.committed(10);
    await wal.trim(10); // let the queued trim run
    expect((await listSegments(dir)).length).toBeLessThan(segments);
    log.committed(20);
    expect(await waiting).toBe(true);
    expect(await log.waitCommitted(25, 10)).toBe(false);
    await log.close();
    expect(await listSegments(dir)).toEqual([]);
  });

  it('has a record in the WAL file when append returns (nothing lost if the process ends right after)', async () => {
    const wal = await WalWriter.open(dir, header);
    const log = new RecordLog({ appliedSeq: 0, wal, maxBufferedBytes: 1 << 20, maxWalBytes: 1 << 30, logger: recordingLogger() });
    log.append(alert('a'));
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const afterOne = statSync(join(dir, files[0]!)).size;
    log.append(alert('b'));
    expect(statSync(join(dir, files[0]!)).size).toBeGreaterThan(afterOne);
    const scan = await scanSegment(join(dir, files[0]!), 1);
    expect(scan.entries.map((e) => decodeRecord(e.bytes).seq)).toEqual([1, 2]);
    await log.close();
  });

  it('warns once when the WAL outgrows its bound', async () => {
    const logger = recordingLogger();
    const wal = await WalWriter.open(dir, header);
    const log = new RecordLog({ appliedSeq: 0, wal, maxBufferedBytes: 1 << 20, maxWalBytes: 1000, logger });
    for (let i = 1; i <= 20; i++) log.append(alert(`t${i}`));
    for (let i = 1; i <= 20; i++) log.append(alert(`u${i}`));
    expect(logger.lines.filter(([level]) => level === 'warn')).toHaveLength(1);
    await log.close();
  });
});
