import { CohortError } from '@cohort/protocol';
import { agentName, SweepClient, type SweepRef, type SweepServerOptions } from '@cohort/sdk';

/**
 * The Python client's `cohort.sweep` and `cohort.agent` (clients/python/cohort/sweeps.py)
 * on the SDK's `SweepClient`, so the sweep routes, the sweep path rules and the
 * server's defaults have one owner. Each call names its sweep and options
 * afresh (no state here): `sweep_resolve` answers the full `entity/project/id`
 * path that the later calls pass.
 */
export const SWEEP_OPS: ReadonlySet<string> = new Set(['sweep_create', 'sweep_resolve', 'sweep_next', 'sweep_heartbeat', 'sweep_end']);

function optionalText(a: Record<string, unknown>, name: string): string | undefined {
  const value = a[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TypeError(`Expected \`${name}\` to be a string, got ${typeof value}`);
  return value;
}

function client(a: Record<string, unknown>): SweepClient {
  const entity = optionalText(a, 'entity');
  const project = optionalText(a, 'project');
  const options: SweepServerOptions = { ...(entity !== undefined && { entity }), ...(project !== undefined && { project }) };
  return new SweepClient(options);
}

function ref(a: Record<string, unknown>): SweepRef {
  const path = optionalText(a, 'sweep') ?? '';
  const [entity, project, id, ...rest] = path.split('/');
  if (entity === undefined || project === undefined || id === undefined || rest.length > 0) {
    throw new CohortError('INVALID_ARGUMENT', `agent: \`sweep\` must be entity/project/id, got ${JSON.stringify(path)}`);
  }
  return { entity, project, id };
}

function trialId(a: Record<string, unknown>): string {
  const value = optionalText(a, 'trial_id');
  if (value === undefined || value === '') throw new CohortError('INVALID_ARGUMENT', 'agent: `trial_id` is required');
  return value;
}

/** Runs one sweep call; `a` holds its arguments by their Python names. */
export async function sweepCall(op: string, a: Record<string, unknown>): Promise<unknown> {
  switch (op) {
    case 'sweep_create':
      return client(a).create(a['config']);
    case 'sweep_resolve': {
      const c = client(a);
      return { ...(await c.resolve(optionalText(a, 'sweep') ?? '')), url: c.http.baseUrl };
    }
    case 'sweep_next': {
      const seconds = a['heartbeat_seconds'];
      return client(a).next(ref(a), { agent: optionalText(a, 'agent') ?? agentName(), ...(typeof seconds === 'number' && { heartbeatSeconds: seconds }) });
    }
    case 'sweep_heartbeat':
      return client(a).heartbeat(ref(a), trialId(a));
    case 'sweep_end': {
      const code = a['exit_code'];
      if (!Number.isSafeInteger(code)) throw new TypeError(`Expected \`exit_code\` to be an integer, got ${JSON.stringify(code)}`);
      return client(a).end(ref(a), trialId(a), code as number);
    }
    default:
      throw new CohortError('INVALID_ARGUMENT', `agent: unknown call ${JSON.stringify(op)}`);
  }
}
