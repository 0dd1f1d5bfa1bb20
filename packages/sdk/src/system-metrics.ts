import { execFile } from 'node:child_process';
import { cpus, freemem, totalmem } from 'node:os';
import { diskPercent, readIoCounters, type IoCounters } from './system-io.js';

/** The `--query-gpu` fields read from `nvidia-smi`, in order, and the key each becomes (`system/gpu.<index>.<key>`). */
export const NVIDIA_SMI_FIELDS: ReadonlyArray<readonly [field: string, key: string]> = [
  ['index', 'index'],
  ['utilization.gpu', 'utilization_percent'],
  ['utilization.memory', 'memory_utilization_percent'],
  ['memory.used', 'memory_used_mib'],
  ['memory.total', 'memory_total_mib'],
  ['temperature.gpu', 'temperature_c'],
  ['power.draw', 'power_w'],
];

/** The arguments `nvidia-smi` is run with. */
export const NVIDIA_SMI_ARGS: readonly string[] = [`--query-gpu=${NVIDIA_SMI_FIELDS.map(([f]) => f).join(',')}`, '--format=csv,noheader,nounits'];

/**
 * Parses the output of `nvidia-smi --query-gpu=<NVIDIA_SMI_FIELDS> --format=csv,noheader,nounits`:
 * one line per GPU, comma-separated. Values that are not numbers
 * (`[N/A]`, `[Not Supported]`) are left out; a malformed line is skipped.
 *
 * @example
 * parseNvidiaSmi('0, 87, 40, 30000, 81559, 61, 312.45\n');
 * // { 'system/gpu.0.utilization_percent': 87, 'system/gpu.0.memory_used_mib': 30000, ... }
 */
export function parseNvidiaSmi(output: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== NVIDIA_SMI_FIELDS.length) continue;
    const index = Number(cells[0]);
    if (!Number.isInteger(index) || index < 0) continue;
    for (let i = 1; i < cells.length; i++) {
      const v = Number(cells[i]);
      if (cells[i] === '' || !Number.isFinite(v)) continue;
      out[`system/gpu.${index}.${NVIDIA_SMI_FIELDS[i]![1]}`] = v;
    }
  }
  return out;
}

/** Runs a command and resolves its stdout (rejects on failure or after `timeoutMs`). */
export type RunCommand = (file: string, args: readonly string[], timeoutMs: number) => Promise<string>;

const runCommand: RunCommand = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });

/** Options of {@link SystemMetricsCollector}. */
export interface SystemMetricsCollectorOptions {
  /** The `nvidia-smi` binary. @defaultValue `'nvidia-smi'` (from `PATH`) */
  nvidiaSmi?: string;
  /** How long one `nvidia-smi` call may take. @defaultValue 5000 */
  timeoutMs?: number;
  /** Runs commands (tests pass a fake). */
  run?: RunCommand;
}

/**
 * Reads CPU, memory, disk and network (Linux: MiB read, written, received
 * and sent since the collector started; the root filesystem's use) and
 * (when `nvidia-smi` exists) GPU metrics of the machine and this process,
 * as `system/...` keys. The first `nvidia-smi`
 * failure turns GPU reading off for good (no GPU, or no driver).
 */
export class SystemMetricsCollector {
  readonly #smi: string;
  readonly #timeoutMs: number;
  readonly #run: RunCommand;
  #gpu = true;
  #lastCpu = cpuTimes();
  #lastProc = process.cpuUsage();
  #lastAt = performance.now();
  /** The I/O counters of the first sample, which later ones count from. */
  #ioBase: IoCounters | undefined;

  constructor(options: SystemMetricsCollectorOptions = {}) {
    this.#smi = options.nvidiaSmi ?? 'nvidia-smi';
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#run = options.run ?? runCommand;
  }

  /** Whether GPU metrics are still being read. */
  get gpu(): boolean {
    return this.#gpu;
  }

  /** One sample: CPU use since the last sample, memory now, GPUs now. */
  async collect(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const cpu = cpuTimes();
    const idle = cpu.idle - this.#lastCpu.idle;
    const total = cpu.total - this.#lastCpu.total;
    if (total > 0) out['system/cpu_percent'] = round(100 * (1 - idle / total));
    const now = performance.now();
    const proc = process.cpuUsage(this.#lastProc);
    const wallUs = (now - this.#lastAt) * 1000;
    if (wallUs > 0) out['system/proc.cpu_percent'] = round((100 * (proc.user + proc.system)) / wallUs);
    this.#lastCpu = cpu;
    this.#lastProc = process.cpuUsage();
    this.#lastAt = now;
    const total_ = totalmem();
    out['system/memory_percent'] = round(100 * (1 - freemem() / total_));
    out['system/memory_used_mib'] = round((total_ - freemem()) / 2 ** 20);
    out['system/proc.memory_rss_mib'] = round(process.memoryUsage.rss() / 2 ** 20);
    out['system/cpu_count'] = cpus().length;
    const [io, disk] = await Promise.all([readIoCounters(), diskPercent('/')]);
    if (io !== undefined) {
      this.#ioBase ??= io;
      const mib = (v: number): number => round(v / 2 ** 20);
      out['system/disk_read_mib'] = mib(io.diskRead - this.#ioBase.diskRead);
      out['system/disk_written_mib'] = mib(io.diskWritten - this.#ioBase.diskWritten);
      out['system/network_received_mib'] = mib(io.netReceived - this.#ioBase.netReceived);
      out['system/network_sent_mib'] = mib(io.netSent - this.#ioBase.netSent);
    }
    if (disk !== undefined) out['system/disk_percent'] = round(disk);
    if (this.#gpu) {
      try {
        Object.assign(out, parseNvidiaSmi(await this.#run(this.#smi, NVIDIA_SMI_ARGS, this.#timeoutMs)));
      } catch {
        this.#gpu = false;
      }
    }
    return out;
  }
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.idle + c.times.user + c.times.sys + c.times.nice + c.times.irq;
  }
  return { idle, total };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
