// The seeded database of bench/history-scale.mjs: `runs` finished runs ×
// `keys` metrics × `steps` steps of numeric history, stored as compaction
// leaves it (chunks of up to CHUNK_MAX_POINTS consecutive steps, an empty
// steps blob), written set-based: the schema by the store's own migrations,
// then one INSERT ... SELECT generate_series per table (per 100 runs for the
// chunks), each chunk's values a template blob built here. Inserted through
// the parent tables only, so a partitioned schema works the same. The
// database is kept, named after its shape, and reused while it holds every
// migration of this build and the expected number of points (a
// COMMENT ON DATABASE keeps its seed time); `reseed` rebuilds it.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { CHUNK_MAX_POINTS, POSTGRES_MIGRATIONS, openPostgresStore } from '@cohort/store';

/** The entity of the seeded runs; the bench's own runs live elsewhere. */
export const SEED_ENTITY = 'bench-seed';
const PROJECTS = 20;
const RUNS_PER_STATEMENT = 100;

/** The name of the database of a shape. */
export function seedName({ runs, keys, steps, chunk }) {
  return `cohort_bench_history_${runs}x${keys}x${steps}_c${chunk}`;
}

/** A database's URL on the same server as `serverUrl`. */
export function databaseUrl(serverUrl, name) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.href;
}

/** The chunk size of a key of `steps` steps compacted: CHUNK_MAX_POINTS, or the whole key when shorter. */
export function compactedChunk(steps) {
  return Math.min(steps, CHUNK_MAX_POINTS);
}

/** Metric names as a training script logs them (four groups). */
export function metricName(k) {
  return `group_${k % 4}/metric_${k}`;
}

/** Sizes on disk of a database (bytes): the whole database, and history_chunks with its TOAST and indexes (all partitions). */
export async function sizes(client) {
  const { rows } = await client.query(
    `SELECT pg_database_size(current_database())::bigint AS db,
       (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
        WHERE c.oid = 'history_chunks'::regclass OR c.oid IN (SELECT relid FROM pg_partition_tree('history_chunks'::regclass)))::bigint AS chunks`,
  );
  return { database: Number(rows[0].db), chunks: Number(rows[0].chunks) };
}

/** Why the cached database cannot be used (undefined: it can). */
async function staleness(url, shape) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const applied = (await client.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version).join(',');
    const wanted = POSTGRES_MIGRATIONS.map((m) => m.version).join(',');
    if (applied !== wanted) return `its migrations are ${applied}, this build's ${wanted}`;
    const { rows } = await client.query('SELECT count(*)::bigint AS chunks, coalesce(sum(n), 0)::bigint AS points FROM history_chunks');
    const points = shape.runs * shape.keys * shape.steps;
    if (Number(rows[0].points) !== points) return `it holds ${rows[0].points} points, not ${points}`;
    return undefined;
  } finally {
    await client.end();
  }
}

/**
 * The seeded database of `shape` on the server at `serverUrl` (`admin`: a
 * client connected to it): reused when fresh, else (re)built. Answers its
 * name, URL, seed seconds, whether it was cached, and sizes.
 */
export async function provideSeed(admin, serverUrl, shape, { reseed = false, log = console.error } = {}) {
  const name = seedName(shape);
  const url = databaseUrl(serverUrl, name);
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount > 0;
  const stale = exists && !reseed ? await staleness(url, shape) : 'absent';
  if (exists && !reseed && stale === undefined) {
    const { rows } = await admin.query("SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname = $1", [name]);
    const note = JSON.parse(rows[0].note ?? '{}');
    return { name, url, cached: true, seedSeconds: note.seedSeconds, vacuumSeconds: note.vacuumSeconds, seededAt: note.seededAt, ...note.sizes };
  }
  log(`history-scale: seeding ${name} (${exists ? (reseed ? '--reseed' : `stale: ${stale}`) : 'absent'})`);
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const t0 = performance.now();
  await (await openPostgresStore(url, { max: 1 })).close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await insertSeed(client, shape, log);
    const seedSeconds = (performance.now() - t0) / 1000;
    const v0 = performance.now();
    await client.query('VACUUM (ANALYZE)');
    const vacuumSeconds = (performance.now() - v0) / 1000;
    const measured = await sizes(client);
    const note = { seedSeconds, vacuumSeconds, seededAt: new Date().toISOString(), sizes: measured };
    await client.query(`COMMENT ON DATABASE ${name} IS '${JSON.stringify(note)}'`);
    return { name, url, cached: false, seedSeconds, vacuumSeconds, seededAt: note.seededAt, ...measured };
  } finally {
    await client.end();
  }
}

/** The rows of the seed: runs, their keys, their chunks (time order: the chunks of a step range for every run before the next range). */
async function insertSeed(client, { runs, keys, steps, chunk }, log) {
  const names = Array.from({ length: keys }, (_, k) => metricName(k));
  const index = JSON.stringify({ n: keys, k: Object.fromEntries(names.map((n, k) => [n, [k, steps - 1]])) });
  // One run a minute, finished an hour after it started.
  await client.query(
    `INSERT INTO runs (entity, project, run_id, name, state, exit_code, start_time, end_time, heartbeat_at, runtime, opened_at,
       last_step, applied_seq, summary, created_at, updated_at, history_index)
     SELECT $1, 'project-' || lpad((g % ${PROJECTS})::text, 2, '0'), 'seed' || lpad(g::text, 7, '0'), 'seed run ' || g, 'finished', 0,
       t, t + 3600, t + 3600, 3600, t, $3 - 1, $3, '{}', t, t + 3600, $4
     FROM generate_series(0, $2 - 1) g, LATERAL (SELECT 1.7e9 + g * 60.0 AS t) s`,
    [SEED_ENTITY, runs, steps, index],
  );
  const { rows } = await client.query('SELECT min(pk) AS lo, max(pk) AS hi FROM runs WHERE entity = $1', [SEED_ENTITY]);
  const [lo, hi] = [Number(rows[0].lo), Number(rows[0].hi)];
  await client.query(
    `INSERT INTO history_keys (run_pk, key_id, key)
     SELECT r.pk, k, ($2::text[])[k + 1] FROM runs r, generate_series(0, cardinality($2::text[]) - 1) k WHERE r.entity = $1 ORDER BY r.pk, k`,
    [SEED_ENTITY, names],
  );
  // A loss-like curve; every chunk carries the same values (packed doubles do not compress, so the bytes stored are the real ones).
  const template = Buffer.from(Float64Array.from({ length: chunk }, (_, i) => 2 * Math.exp(-i / chunk) + 0.05 * Math.sin(i / 7)).buffer);
  const chunks = Math.ceil(steps / chunk);
  for (let c = 0; c < chunks; c++) {
    for (let from = lo; from <= hi; from += RUNS_PER_STATEMENT) {
      const to = Math.min(hi, from + RUNS_PER_STATEMENT - 1);
      const n = Math.min(chunk, steps - c * chunk);
      await client.query(
        `INSERT INTO history_chunks (run_pk, key_id, first_step, last_step, n, steps, vals)
         SELECT r.pk, k, $4::bigint, $4::bigint + $5::int - 1, $5::int, ''::bytea, substring($1::bytea FROM 1 FOR 8 * $5::int)
         FROM runs r, generate_series(0, $6::int - 1) k
         WHERE r.pk BETWEEN $2 AND $3 AND r.entity = '${SEED_ENTITY}'
         ORDER BY r.pk, k`,
        [template, from, to, c * chunk, n, keys],
      );
      log(`history-scale: seeded step range ${c + 1} of ${chunks}, runs ${to - lo + 1} of ${runs}`);
    }
  }
}
