import { groupInstanceName } from '@cohort/protocol';
import type { GroupClaim } from '../group-claims.js';
import type { Queryable } from './pg-history.js';

/**
 * The Postgres migration of group claims, the counterpart of
 * `sqlite/group-claim-schema.ts` with the same version number.
 */
export const PG_GROUP_CLAIM_MIGRATION = {
  version: 70,
  name: 'group claims: job key instances and their node slots',
  sql: `
CREATE TABLE group_instances (
  entity TEXT COLLATE "C" NOT NULL,
  project TEXT COLLATE "C" NOT NULL,
  job_key TEXT COLLATE "C" NOT NULL,
  instance INTEGER NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  created_at DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (entity, project, job_key, instance),
  UNIQUE (entity, project, name)
);

CREATE TABLE group_instance_nodes (
  entity TEXT COLLATE "C" NOT NULL,
  project TEXT COLLATE "C" NOT NULL,
  job_key TEXT COLLATE "C" NOT NULL,
  instance INTEGER NOT NULL,
  slot TEXT COLLATE "C" NOT NULL,
  token TEXT COLLATE "C" NOT NULL,
  claimed_at DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (entity, project, job_key, instance, slot),
  UNIQUE (entity, project, job_key, token)
);
`,
} as const;

/** First key of the per-job-key advisory lock ("GCl"): claims of one key are decided one at a time, across coordinators. */
const CLAIM_LOCK_CLASS = 0x47436c;

/**
 * The group `c` belongs to, claiming its slot (the rules are in
 * `group-claims.ts`). Call inside a transaction: the advisory lock it takes
 * serializes the claims of one key until that transaction ends.
 */
export async function claimGroup(db: Queryable, c: GroupClaim, now: number): Promise<string> {
  const k = [c.entity, c.project, c.key];
  await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CLAIM_LOCK_CLASS, k.join('\u0001')]);
  const known = await db.query<{ name: string }>(
    `SELECT i.name FROM group_instance_nodes n JOIN group_instances i
       ON i.entity = n.entity AND i.project = n.project AND i.job_key = n.job_key AND i.instance = n.instance
     WHERE n.entity = $1 AND n.project = $2 AND n.job_key = $3 AND n.token = $4`,
    [...k, c.token],
  );
  if (known.rows[0]) return known.rows[0].name;
  const latest = (
    await db.query<{ instance: number; name: string }>(
      'SELECT instance, name FROM group_instances WHERE entity = $1 AND project = $2 AND job_key = $3 ORDER BY instance DESC LIMIT 1',
      k,
    )
  ).rows[0];
  const addNode = (instance: number) =>
    db.query('INSERT INTO group_instance_nodes (entity, project, job_key, instance, slot, token, claimed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      ...k,
      instance,
      c.slot,
      c.token,
      now,
    ]);
  if (latest) {
    const held = await db.query('SELECT 1 FROM group_instance_nodes WHERE entity = $1 AND project = $2 AND job_key = $3 AND instance = $4 AND slot = $5', [
      ...k,
      latest.instance,
      c.slot,
    ]);
    if (held.rows.length === 0) {
      await addNode(latest.instance);
      return latest.name;
    }
  }
  const instance = (latest?.instance ?? 0) + 1;
  const name = groupInstanceName(c.base, [c.key, String(instance)]);
  await db.query('INSERT INTO group_instances (entity, project, job_key, instance, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [...k, instance, name, now]);
  await addNode(instance);
  return name;
}
