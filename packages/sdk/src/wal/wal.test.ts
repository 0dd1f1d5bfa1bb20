import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, withOpenRunDefaults, type WalHeaderMessage } from '@cohort/protocol';
import { WalWriter } from './segment-writer.js';
import { readWal, scanSegment, listSegments } from './wal-reader.js';
import { WalCorruptionError, type WalEntry } from './wal-format.js';

const header: WalHeaderMessage = { formatVersion: 1, open: withOpenRunDefaults({ project: 'p', runId: 'abc', mode: 'offline' }) };

function entries(from: number, count: number, pad = 0): WalEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    return { seq, bytes: encodeRecord({ seq, kind: 'alert', alert: { title: `t${seq}`, text: 'x'.repeat(pad), level: 'INFO', waitDurationMs: 0, timestamp: seq } }) };
  });
}

async function readAll(dir: string): Promise<{ seqs: number[]; corruption: WalCorruptionError | undefined; header: WalHeaderMessage | undefined }> {
  const seqs: number[] = [];
  let corruption: WalCorruptionError | undefined;
  let first: WalHeaderMessage | undefined;
  for await (const seg of readWal(dir)) {
    first ??= seg.header;
    for (const e of seg.entries) seqs.push(decodeRecord(e.bytes).seq);
    corruption ??= seg.corruption;
  }
  return { seqs, corruption, header: first };
}

describe('WAL', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-wal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back what it wrote, header first', async () => {
    const wal = await WalWriter.open(dir, header);
    await wal.append(entries(1, 3));
    void wal.append(entries(4, 2)); // not awaited: order is kept
    await wal.close();
    const back = await readAll(dir);
    expect(back.seqs).toEqual([1, 2, 3, 4, 5]);
    expect(back.corruption).toBeUndefined();
    expect(back.header?.open.runId).toBe('abc');
    expect(back.header?.formatVersion).toBe(1);
  });

  it('rotates segments at the size bound, each opening with the header', async () => {
    const wal = await WalWriter.open(dir, header, { segmentBytes: 2048 });
    for (let i = 0; i < 10; i++) await wal.append(entries(1 + i * 2, 2, 300));
    await wal.close();
    const segments = await listSegments(dir);
    expect(segments.length).toBeGreaterThan(2);
    for (const s of segments) expect((await scanSegment(s.file, s.firstSeq)).header?.open.runId).toBe('abc');
    expect((await readAll(dir)).seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('deletes a segment only once the ack covers all of its records', async () => {
    const wal = await WalWriter.open(dir, header, { segmentBytes: 1024 });
    for (let i = 0; i < 6; i++) await wal.append(entries(1 + i * 2, 2, 600));
    const before = await listSegments(dir);
    expect(before.map((s) => s.firstSeq)).toEqual([1, 3, 5, 7, 9, 11]);
    await wal.trim(3); // covers segment 1 (1–2) but only half of segment 3 (3–4)
    expect((await listSegments(dir)).map((s) => s.firstSeq)).toEqual([3, 5, 7, 9, 11]);
    await wal.trim(100); // the open segment stays while the writer is open
    expect((await listSegments(dir)).map((s) => s.firstSeq)).toEqual([11]);
    await wal.close(12);
    expect(await listSegments(dir)).toEqual([]);
  });

  it('serves records back from disk for a resend', async () => {
    const wal = await WalWriter.open(dir, header, { segmentBytes: 1024 });
    for (let i = 0; i < 4; i++) await wal.append(entries(1 + i * 2, 2, 600));
    const got = await wal.readFrom(4, 1_000_000);
    expect(got.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8]);
    expect((await wal.readFrom(2, 1)).map((e) => e.seq)).toEqual([2]);
    await wal.close();
  });

  it('reports a torn tail with the file and offset, keeping the good prefix', async () => {
    const wal = await WalWriter.open(dir, header);
    await wal.append(entries(1, 3));
    await wal.close();
    const [seg] = await listSegments(dir);
    const size = (await readFile(seg!.file)).length;
    await truncate(seg!.file, size - 5);
    const back = await readAll(dir);
    expect(back.seqs).toEqual([1, 2]);
    expect(back.corruption).toBeInstanceOf(WalCorruptionError);
    expect(back.corruption?.code).toBe('DATA_LOSS');
    expect(back.corruption?.file).toBe(seg!.file);
    expect(back.corruption?.message).toMatch(/torn frame/);
    expect(back.corruption?.offset).toBeGreaterThan(0);
  });

  it('reports a bad checksum and reads nothing past it', async () => {
    const wal = await WalWriter.open(dir, header);
    await wal.append(entries(1, 3));
    await wal.close();
    const [seg] = await listSegments(dir);
    const buf = await readFile(seg!.file);
    const good = await scanSegment(seg!.file, 1);
    expect(good.entries).toHaveLength(3);
    // Flip one payload byte of the second record.
    const headerFrame = 8 + buf.readUInt32LE(0);
    const second = headerFrame + 8 + buf.readUInt32LE(headerFrame);
    buf[second + 8 + 2]! ^= 0xff;
    await writeFile(seg!.file, buf);
    const back = await readAll(dir);
    expect(back.seqs).toEqual([1]);
    expect(back.corruption?.offset).toBe(second);
    expect(back.corruption?.message).toMatch(/CRC-32C mismatch/);
  });

  it('reports a missing segment as corruption', async () => {
    const wal = await WalWriter.open(dir, header, { segmentBytes: 1024 });
    for (let i = 0; i < 3; i++) await wal.append(entries(1 + i * 2, 2, 600));
    await wal.close();
    const names = (await readdir(dir)).sort();
    await rm(join(dir, names[1]!));
    const back = await readAll(dir);
    expect(back.seqs).toEqual([1, 2]);
    expect(back.corruption?.message).toMatch(/a segment is missing/);
  });

  it('refuses to start a new WAL over existing segments', async () => {
    const wal = await WalWriter.open(dir, header);
    await wal.append(entries(1, 1));
    await wal.close();
    await expect(WalWriter.open(dir, header)).rejects.toThrow(/already holds segments/);
  });
});
