import { CohortError, describeValue } from '../errors.js';
import type { RecordKind } from '../records.js';

/**
 * The `default:` of a switch that handles every case of a union: the switch
 * fails to compile when a case is added and not handled (`value` is then not
 * `never`), and a value that slipped past the types (a newer peer) fails
 * INTERNAL naming `what` rather than being skipped.
 *
 * @example
 * switch (record.kind) { case 'rows': ...; default: assertNever(record, 'record kind'); }
 */
export function assertNever(value: never, what: string): never {
  const shown = typeof value === 'object' && value !== null && 'kind' in value ? (value as { kind: unknown }).kind : value;
  throw new CohortError('INTERNAL', `${what}: ${describeValue(shown)} is not handled`);
}

/** Every record kind once: the object type fails to compile when records.ts gains or loses a kind. */
const KIND_TABLE: { readonly [K in RecordKind]: true } = {
  rows: true,
  config: true,
  summary: true,
  metric: true,
  runUpdate: true,
  exit: true,
  preempting: true,
  alert: true,
  system: true,
  console: true,
};

/** The kinds of the `Record.kind` oneof of records.proto, in field order (a test checks them against the proto). */
export const RECORD_KINDS = Object.keys(KIND_TABLE) as readonly RecordKind[];
