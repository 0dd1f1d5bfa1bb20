import type Database from 'better-sqlite3';
import { groupInstanceName } from '@cohort/protocol';
import type { GroupClaim } from '../group-claims.js';

/** Group claims over SQLite (`group-claim-schema.ts`); the rules are in `group-claims.ts`. */
export class SqliteGroupClaims {
  readonly #db: Database.Database;
  readonly #s;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = {
      ofToken: db.prepare(
        `SELECT i.name FROM group_instance_nodes n JOIN group_instances i
           ON i.entity = n.entity AND i.project = n.project AND i.job_key = n.job_key AND i.instance = n.instance
         WHERE n.entity = ? AND n.project = ? AND n.job_key = ? AND n.token = ?`,
      ),
      latest: db.prepare('SELECT instance, name FROM group_instances WHERE entity = ? AND project = ? AND job_key = ? ORDER BY instance DESC LIMIT 1'),
      holder: db.prepare('SELECT token FROM group_instance_nodes WHERE entity = ? AND project = ? AND job_key = ? AND instance = ? AND slot = ?'),
      addInstance: db.prepare('INSERT INTO group_instances (entity, project, job_key, instance, name, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      addNode: db.prepare('INSERT INTO group_instance_nodes (entity, project, job_key, instance, slot, token, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    };
  }

  /** The group `c` belongs to, claiming its slot (one immediate transaction). */
  claim(c: GroupClaim, now: number): string {
    return this.#db.transaction(() => {
      const k = [c.entity, c.project, c.key] as const;
      const known = this.#s.ofToken.get(...k, c.token) as { name: string } | undefined;
      if (known) return known.name;
      const latest = this.#s.latest.get(...k) as { instance: number; name: string } | undefined;
      if (latest && this.#s.holder.get(...k, latest.instance, c.slot) === undefined) {
        this.#s.addNode.run(...k, latest.instance, c.slot, c.token, now);
        return latest.name;
      }
      const instance = (latest?.instance ?? 0) + 1;
      const name = groupInstanceName(c.base, [c.key, String(instance)]);
      this.#s.addInstance.run(...k, instance, name, now);
      this.#s.addNode.run(...k, instance, c.slot, c.token, now);
      return name;
    }).immediate();
  }
}
