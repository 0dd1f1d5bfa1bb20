/**
 * A rank's claim on a group whose launcher names its job by a key another job
 * may share (plain torchrun's run id `none`): the store picks the instance of
 * that key the rank belongs to (docs/distributed.md, "Which job a rank belongs to"):
 *
 * 1. the instance where this token (one launcher agent, one node) already holds a slot;
 * 2. else the latest instance of the key, when the rank's node slot is free there;
 * 3. else a new instance, named `<base>-<6 characters hashed from key and number>`.
 *
 * One transaction decides, so concurrent ranks and coordinators agree.
 */
export interface GroupClaim {
  readonly entity: string;
  readonly project: string;
  /** The base group name (torchrun's run id, the Job's name). */
  readonly base: string;
  /** What every rank of the job shares. */
  readonly key: string;
  /** What exactly the ranks of one agent share, across its restarts. */
  readonly token: string;
  /** The node's place in the job. */
  readonly slot: string;
}
