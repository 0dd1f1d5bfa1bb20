// Where the time of a fan-in phase goes: CPU seconds per process (from
// /proc, Linux only) and the Prometheus counters and histograms of the
// coordinator and the workers, read before and after the phase.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process, in seconds (0 when it is gone or /proc is absent). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** The pid and its children's pids (PostgreSQL's backends are the postmaster's children). */
export function withChildren(pid) {
  const out = [pid];
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return out;
}

/** Parses Prometheus text into a map of `name{labels}` → value. */
function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function scrape(url) {
  try {
    return parseMetrics(await (await fetch(`${url}/metrics`)).text());
  } catch {
    return new Map();
  }
}

/** Sum over series whose key starts with `name` and holds every label in `labels`, of after − before. */
function delta(before, after, name, labels = []) {
  let sum = 0;
  for (const [key, value] of after) {
    if (!(key === name || key.startsWith(`${name}{`))) continue;
    if (!labels.every((l) => key.includes(l))) continue;
    sum += value - (before.get(key) ?? 0);
  }
  return sum;
}

/** The bucket bound (ms) under which `q` of a histogram's observations in the phase fell. */
function quantileMs(before, after, name, labels, q) {
  const buckets = [];
  for (const [key, value] of after) {
    if (!key.startsWith(`${name}_bucket{`) || !labels.every((l) => key.includes(l))) continue;
    const le = /le="([^"]+)"/.exec(key)?.[1];
    buckets.push([le === '+Inf' ? Infinity : Number(le), value - (before.get(key) ?? 0)]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  return buckets.find(([, n]) => n >= q * total)[0] * 1000;
}

/**
 * Starts probing: `groups` maps a name to pids, `trees` a name to root pids
 * taken with their children (PostgreSQL). `stop()` answers the CPU share of
 * each group (1 = one core) and the stage figures of the phase.
 */
export async function startProbe({ groups, trees, coordinatorUrls, workerUrls }) {
  // Per group, each process's CPU seconds, listed again at every snapshot: a PostgreSQL backend that
  // starts during the phase counts whole, one that exits during it is lost (never subtracted).
  const listPids = () => ({
    ...Object.fromEntries(Object.entries(groups).map(([name, list]) => [name, list.filter(Boolean)])),
    ...Object.fromEntries(Object.entries(trees).map(([name, roots]) => [name, roots.flatMap((pid) => (pid ? withChildren(pid) : []))])),
  });
  const snapshot = () =>
    Object.fromEntries(Object.entries(listPids()).map(([name, list]) => [name, new Map(list.map((pid) => [pid, cpuSeconds(pid)]))]));
  const used = (before, after) => [...after].reduce((s, [pid, seconds]) => s + Math.max(0, seconds - (before.get(pid) ?? 0)), 0);
  const scrapeAll = async (urls) => (await Promise.all(urls.map(scrape))).reduce((m, one) => {
    for (const [k, v] of one) m.set(k, (m.get(k) ?? 0) + v);
    return m;
  }, new Map());
  const cpu0 = snapshot();
  const [c0, w0] = await Promise.all([scrapeAll(coordinatorUrls), scrapeAll(workerUrls)]);
  const t0 = performance.now();
  return async () => {
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = snapshot();
    const [c1, w1] = await Promise.all([scrapeAll(coordinatorUrls), scrapeAll(workerUrls)]);
    const jobs = delta(w0, w1, 'cohort_jobs_total', ['result="completed"']);
    const batches = delta(c0, c1, 'cohort_batches_received_total');
    const applyCount = delta(w0, w1, 'cohort_apply_seconds_count');
    return {
      cpu: Object.fromEntries(Object.keys(cpu1).map((k) => [k, used(cpu0[k], cpu1[k]) / seconds])),
      batchesPerSec: batches / seconds,
      jobsPerSec: jobs / seconds,
      recordsPerJob: delta(w0, w1, 'cohort_records_applied_total') / Math.max(1, jobs),
      batchesPerJob: batches / Math.max(1, jobs),
      ackP50: quantileMs(c0, c1, 'cohort_commit_ack_seconds', [], 0.5),
      ackP99: quantileMs(c0, c1, 'cohort_commit_ack_seconds', [], 0.99),
      jobP50: quantileMs(c0, c1, 'cohort_apply_seconds', ['mode="scaled"'], 0.5),
      waitP50: quantileMs(w0, w1, 'cohort_queue_wait_seconds', [], 0.5),
      waitP99: quantileMs(w0, w1, 'cohort_queue_wait_seconds', [], 0.99),
      applyMeanMs: (delta(w0, w1, 'cohort_apply_seconds_sum') / Math.max(1, applyCount)) * 1000,
    };
  };
}
