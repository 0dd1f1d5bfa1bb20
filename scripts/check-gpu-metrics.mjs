#!/usr/bin/env node
// Prints what Cohort's system metrics collector reads on this machine: the raw
// `nvidia-smi` output for the query the SDK runs, its parse, and one full
// sample (CPU, memory, GPUs). Uses only the built SDK (`npm run build` first):
//   node scripts/check-gpu-metrics.mjs
import { execFileSync } from 'node:child_process';
import { NVIDIA_SMI_ARGS, SystemMetricsCollector, parseNvidiaSmi } from '../packages/sdk/dist/system-metrics.js';

console.log(`$ nvidia-smi ${NVIDIA_SMI_ARGS.join(' ')}`);
let raw = '';
try {
  raw = execFileSync('nvidia-smi', NVIDIA_SMI_ARGS, { encoding: 'utf8', timeout: 10_000 });
  process.stdout.write(raw);
} catch (err) {
  console.log(`(nvidia-smi failed: ${err.message.split('\n')[0]}; GPU metrics are off on this machine)`);
}
console.log('\nparsed:', JSON.stringify(parseNvidiaSmi(raw), null, 2));
const collector = new SystemMetricsCollector();
await collector.collect();
await new Promise((r) => setTimeout(r, 1000));
console.log('\none sample (CPU use over the last second):', JSON.stringify(await collector.collect(), null, 2));
console.log('GPU reading still on:', collector.gpu);
