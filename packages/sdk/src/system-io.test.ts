import { describe, expect, it } from 'vitest';
import { parseDiskstats, parseNetDev } from './system-io.js';
import { SystemMetricsCollector } from './system-metrics.js';

describe('parseDiskstats', () => {
  it('sums sectors read and written (512 bytes each) over whole disks, not partitions, loop or RAM devices', () => {
    const text = [
      '   7       0 loop0 50 0 4000 10 0 0 0 0 0 10 10 0 0 0 0 0 0',
      ' 253       0 vda 9000 120 800000 5000 3000 900 64000 2000 0 7000 7000 0 0 0 0 0 0',
      ' 253       1 vda1 8900 120 790000 4900 2990 900 63000 1990 0 6900 6900 0 0 0 0 0 0',
      ' 259       0 nvme0n1 10 0 2 1 10 0 6 1 0 1 1 0 0 0 0 0 0',
      ' 252       0 zram0 100 0 800 0 100 0 800 0 0 0 0 0 0 0 0 0 0',
    ].join('\n');
    expect(parseDiskstats(text, new Set(['loop0', 'vda', 'nvme0n1', 'zram0']))).toEqual({ read: (800000 + 2) * 512, written: (64000 + 6) * 512 });
  });
});

describe('parseNetDev', () => {
  it('sums bytes received and sent over interfaces other than loopback', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo: 6671949794  596736    0    0    0     0          0         0 6671949794  596736    0    0    0     0       0          0',
      '  eth0:  1000  10    0    0    0     0          0         0   400   4    0    0    0     0       0          0',
      '  eth1:20 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0',
    ].join('\n');
    expect(parseNetDev(text)).toEqual({ received: 1020, sent: 405 });
  });
});

describe.skipIf(process.platform !== 'linux')('SystemMetricsCollector on Linux', () => {
  it('samples disk and network: MiB since the first sample, and the root filesystem in use', async () => {
    const c = new SystemMetricsCollector({ run: () => Promise.reject(new Error('no GPU')) });
    const first = await c.collect();
    for (const k of ['system/disk_read_mib', 'system/disk_written_mib', 'system/network_received_mib', 'system/network_sent_mib']) expect(first[k]).toBe(0);
    expect(first['system/disk_percent']).toBeGreaterThan(0);
    expect(first['system/disk_percent']).toBeLessThanOrEqual(100);
    const second = await c.collect();
    for (const k of ['system/disk_read_mib', 'system/disk_written_mib', 'system/network_received_mib', 'system/network_sent_mib']) expect(second[k]).toBeGreaterThanOrEqual(0);
  });
});
