/**
 * The SQLite migration of group claims (docs/distributed.md, "Which job a
 * rank belongs to"): the instances of each non-unique job key and the node
 * slots their agents hold. The unique constraints are the rules: one name
 * per group, one holder per slot, one instance per agent token.
 */
export const GROUP_CLAIM_MIGRATION = {
  version: 70,
  name: 'group claims: job key instances and their node slots',
  sql: `
CREATE TABLE group_instances (
  entity TEXT NOT NULL,
  project TEXT NOT NULL,
  job_key TEXT NOT NULL,
  instance INTEGER NOT NULL,
  name TEXT NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (entity, project, job_key, instance),
  UNIQUE (entity, project, name)
);

CREATE TABLE group_instance_nodes (
  entity TEXT NOT NULL,
  project TEXT NOT NULL,
  job_key TEXT NOT NULL,
  instance INTEGER NOT NULL,
  slot TEXT NOT NULL,
  token TEXT NOT NULL,
  claimed_at REAL NOT NULL,
  PRIMARY KEY (entity, project, job_key, instance, slot),
  UNIQUE (entity, project, job_key, token)
);
`,
} as const;
