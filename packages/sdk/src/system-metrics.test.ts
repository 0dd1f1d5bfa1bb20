import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NVIDIA_SMI_ARGS, SystemMetricsCollector, parseNvidiaSmi } from './system-metrics.js';
import { isPreemptionNotice } from './preemption.js';

describe('parseNvidiaSmi', () => {
  it('reads the output captured from an H100 (driver 580)', () => {
    const text = readFileSync(new URL('./testdata/nvidia-smi-h100.txt', import.meta.url), 'utf8');
    expect(parseNvidiaSmi(text)).toEqual({
      'system/gpu.0.utilization_percent': 0,
      'system/gpu.0.memory_utilization_percent': 0,
      'system/gpu.0.memory_used_mib': 0,
      'system/gpu.0.memory_total_mib': 81559,
      'system/gpu.0.temperature_c': 44,
      'system/gpu.0.power_w': 132.87,
    });
  });

  it('reads an H100 under a matmul load (captured on the lent GPU machine)', () => {
    const text = readFileSync(new URL('./testdata/nvidia-smi-h100-loaded.txt', import.meta.url), 'utf8');
    expect(parseNvidiaSmi(text)).toEqual({
      'system/gpu.0.utilization_percent': 100,
      'system/gpu.0.memory_utilization_percent': 9,
      'system/gpu.0.memory_used_mib': 1395,
      'system/gpu.0.memory_total_mib': 81559,
      'system/gpu.0.temperature_c': 51,
      'system/gpu.0.power_w': 671.83,
    });
  });

  it('reads several GPUs and leaves out unsupported fields and malformed lines', () => {
    const text = '0, 97, 45, 70211, 81559, 71, 688.12\r\n1, 3, 0, 4, 81559, 38, [N/A]\nthis is not a line\n\n2, [Not Supported], 1, 2, 3, 4\n';
    expect(parseNvidiaSmi(text)).toEqual({
      'system/gpu.0.utilization_percent': 97,
      'system/gpu.0.memory_utilization_percent': 45,
      'system/gpu.0.memory_used_mib': 70211,
      'system/gpu.0.memory_total_mib': 81559,
      'system/gpu.0.temperature_c': 71,
      'system/gpu.0.power_w': 688.12,
      'system/gpu.1.utilization_percent': 3,
      'system/gpu.1.memory_utilization_percent': 0,
      'system/gpu.1.memory_used_mib': 4,
      'system/gpu.1.memory_total_mib': 81559,
      'system/gpu.1.temperature_c': 38,
    });
  });
});

describe('SystemMetricsCollector', () => {
  it('samples CPU and memory, and GPUs through nvidia-smi with the documented query', async () => {
    const calls: Array<readonly string[]> = [];
    const c = new SystemMetricsCollector({ run: async (_file, args) => (calls.push(args), '0, 50, 10, 100, 200, 40, 70.5\n') });
    const m = await c.collect();
    expect(calls).toEqual([NVIDIA_SMI_ARGS]);
    expect(m).toMatchObject({ 'system/gpu.0.utilization_percent': 50, 'system/gpu.0.power_w': 70.5 });
    for (const k of ['system/memory_percent', 'system/proc.memory_rss_mib', 'system/cpu_count']) expect(typeof m[k]).toBe('number');
    expect(Object.keys(m).every((k) => k.startsWith('system/'))).toBe(true);
  });

  it('stops asking for GPUs after nvidia-smi fails once', async () => {
    let n = 0;
    const c = new SystemMetricsCollector({ run: async () => (n++, Promise.reject(new Error('spawn nvidia-smi ENOENT'))) });
    await c.collect();
    await c.collect();
    expect(n).toBe(1);
    expect(c.gpu).toBe(false);
  });
});

describe('isPreemptionNotice', () => {
  it('knows each cloud\'s notice', () => {
    expect(isPreemptionNotice('aws', 200, '{"action": "terminate", "time": "2026-11-26T18:00:00Z"}')).toBe(true);
    expect(isPreemptionNotice('aws', 404, 'Not Found')).toBe(false);
    expect(isPreemptionNotice('gce', 200, 'TRUE')).toBe(true);
    expect(isPreemptionNotice('gce', 200, 'FALSE')).toBe(false);
    expect(isPreemptionNotice('azure', 200, '{"DocumentIncarnation":2,"Events":[{"EventId":"x","EventType":"Preempt"}]}')).toBe(true);
    expect(isPreemptionNotice('azure', 200, '{"DocumentIncarnation":1,"Events":[]}')).toBe(false);
    expect(isPreemptionNotice('azure', 200, 'not json')).toBe(false);
  });
});
