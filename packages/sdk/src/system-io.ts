import { readdir, readFile, statfs } from 'node:fs/promises';

/** Bytes the machine's disks read and wrote, and its network interfaces received and sent (loopback left out), since boot. */
export interface IoCounters {
  diskRead: number;
  diskWritten: number;
  netReceived: number;
  netSent: number;
}

/** Bytes of a `/proc/diskstats` sector (always 512, whatever the disk's own sector size). */
const SECTOR = 512;

/**
 * Sums `/proc/diskstats` over whole disks: `disks` are the names in
 * `/sys/block` (a partition is counted in its disk already), loop and RAM
 * devices left out. Fields 6 and 10 are sectors read and written.
 */
export function parseDiskstats(text: string, disks: ReadonlySet<string>): { read: number; written: number } {
  let read = 0;
  let written = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !disks.has(f[2]!) || /^(loop|ram|zram)\d/.test(f[2]!)) continue;
    const r = Number(f[5]);
    const w = Number(f[9]);
    if (Number.isFinite(r) && Number.isFinite(w)) {
      read += r * SECTOR;
      written += w * SECTOR;
    }
  }
  return { read, written };
}

/** Sums `/proc/net/dev` over interfaces other than loopback: bytes received (1st number) and sent (9th). */
export function parseNetDev(text: string): { received: number; sent: number } {
  let received = 0;
  let sent = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
    const n = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (n.length < 9 || !Number.isFinite(n[0]) || !Number.isFinite(n[8])) continue;
    received += n[0]!;
    sent += n[8]!;
  }
  return { received, sent };
}

/** The machine's I/O counters from `/proc` and `/sys` (Linux); undefined where they cannot be read. */
export async function readIoCounters(proc = '/proc', sys = '/sys'): Promise<IoCounters | undefined> {
  try {
    const [diskstats, netDev, disks] = await Promise.all([readFile(`${proc}/diskstats`, 'utf8'), readFile(`${proc}/net/dev`, 'utf8'), readdir(`${sys}/block`)]);
    const disk = parseDiskstats(diskstats, new Set(disks));
    const net = parseNetDev(netDev);
    return { diskRead: disk.read, diskWritten: disk.written, netReceived: net.received, netSent: net.sent };
  } catch {
    return undefined;
  }
}

/** The share of the filesystem holding `path` in use, in percent, as `df` counts it (space reserved for root left out); undefined where it cannot be read. */
export async function diskPercent(path: string): Promise<number | undefined> {
  try {
    const s = await statfs(path);
    const used = s.blocks - s.bfree;
    return used + s.bavail > 0 ? (100 * used) / (used + s.bavail) : undefined;
  } catch {
    return undefined;
  }
}
