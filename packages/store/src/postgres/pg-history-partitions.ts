import { PG_SMALL_CHUNK } from './pg-compaction.js';

/**
 * The history tables of the Postgres store, partitioned by hash of the run
 * (`PARTITION BY HASH (run_pk)`): every statement of one run names its
 * `run_pk`, so PostgreSQL prunes it to one partition and an insert,
 * compaction pass, rewind or read touches that partition's indexes only,
 * whose depth follows the partition's size rather than the total.
 *
 * Why {@link HISTORY_PARTITIONS} = 16: enough that each partition's indexes
 * stay a level or so shallower at a few billion points and that autovacuum
 * (which works per partition) cleans up after compaction's deletes in
 * slices a 16th the size, one partition at a time; few enough that the
 * statements that cannot prune (the compaction candidate scan, a job's
 * batch of many runs) plan and open a handful of relations, and that a
 * small deployment pays ~50 tiny relations. Hash, not time: a run's
 * history is read and rewound as a whole, and a time range would split one
 * run across partitions. Going further means a later migration that builds
 * tables with a larger modulus (a multiple, so each old partition splits
 * evenly) and moves the rows, as this one does.
 *
 * SQLite keeps plain tables: one file written by one process has no
 * concurrent vacuum or index contention to split.
 */
export const HISTORY_PARTITIONS = 16;

/** A history table rebuilt partitioned: its columns, then what is created once its rows are in (constraints, indexes). */
interface PartitionedTable {
  name: string;
  columns: string;
  /** Statements run after the copy: building an index once is faster than growing it row by row. */
  after: string;
}

const TABLES: readonly PartitionedTable[] = [
  {
    name: 'history_keys',
    columns: `run_pk BIGINT NOT NULL,
  key_id INTEGER NOT NULL,
  key TEXT COLLATE "C" NOT NULL`,
    after: `ALTER TABLE history_keys ADD CONSTRAINT history_keys_pkey PRIMARY KEY (run_pk, key_id),
  ADD CONSTRAINT history_keys_run_pk_key_key UNIQUE (run_pk, key);`,
  },
  {
    name: 'history_chunks',
    // The primary key of a partitioned table must hold the partition key: (run_pk, id), and deletes by id name the run.
    columns: `id BIGINT GENERATED ALWAYS AS IDENTITY,
  run_pk BIGINT NOT NULL,
  key_id INTEGER NOT NULL,
  first_step BIGINT NOT NULL,
  last_step BIGINT NOT NULL,
  n INTEGER NOT NULL,
  steps BYTEA NOT NULL,
  vals BYTEA NOT NULL`,
    after: `ALTER TABLE history_chunks ADD CONSTRAINT history_chunks_pkey PRIMARY KEY (run_pk, id);
CREATE INDEX history_chunks_range ON history_chunks (run_pk, key_id, last_step);
CREATE INDEX history_chunks_small ON history_chunks (run_pk, key_id) WHERE n < ${PG_SMALL_CHUNK};`,
  },
  {
    name: 'history_json',
    columns: `run_pk BIGINT NOT NULL,
  step BIGINT NOT NULL,
  key_id INTEGER NOT NULL,
  json TEXT NOT NULL`,
    after: `ALTER TABLE history_json ADD CONSTRAINT history_json_pkey PRIMARY KEY (run_pk, step, key_id);
CREATE INDEX history_json_key ON history_json (run_pk, key_id, step);`,
  },
];

/**
 * Rebuilds one table partitioned, keeping its rows: the old table is set
 * aside, the new one and its partitions created, the rows copied (ids
 * kept), the old one dropped, and then the constraints and indexes built on
 * the parent (each partition gets its own). Chunk blobs stay `STORAGE
 * EXTERNAL` (pg-schema.ts): set on the parent once its partitions exist, it
 * reaches each of them. The chunk id sequence continues where the old one
 * was, so ids keep increasing.
 */
function partitionTable(t: PartitionedTable): string {
  const chunks = t.name === 'history_chunks';
  const partitions = Array.from(
    { length: HISTORY_PARTITIONS },
    (_, i) => `CREATE TABLE ${t.name}_p${i} PARTITION OF ${t.name} FOR VALUES WITH (MODULUS ${HISTORY_PARTITIONS}, REMAINDER ${i});`,
  );
  return `
ALTER TABLE ${t.name} RENAME TO ${t.name}_unpartitioned;
${chunks ? 'ALTER SEQUENCE history_chunks_id_seq RENAME TO history_chunks_unpartitioned_id_seq;' : ''}
CREATE TABLE ${t.name} (
  ${t.columns}
) PARTITION BY HASH (run_pk);
${partitions.join('\n')}
${chunks ? 'ALTER TABLE history_chunks ALTER COLUMN steps SET STORAGE EXTERNAL, ALTER COLUMN vals SET STORAGE EXTERNAL;' : ''}
INSERT INTO ${t.name} ${chunks ? 'OVERRIDING SYSTEM VALUE ' : ''}SELECT * FROM ${t.name}_unpartitioned;
${chunks ? "SELECT setval('history_chunks_id_seq', last_value, is_called) FROM history_chunks_unpartitioned_id_seq;" : ''}
DROP TABLE ${t.name}_unpartitioned;
${t.after}`;
}

/** The migration that partitions the history tables, their rows copied in the migration's one transaction. */
export const PG_HISTORY_PARTITION_MIGRATION = {
  version: 110,
  name: `history tables partitioned by hash of run (${HISTORY_PARTITIONS} partitions)`,
  sql: TABLES.map(partitionTable).join('\n'),
};
