import protobuf from 'protobufjs';
import { join } from 'node:path';
import { PROTO_FILES, protosDir } from './proto-files.js';
import type {
  OpenRunRequestMessage,
  OpenRunResponseMessage,
  RecordMessage,
  WalHeaderMessage,
} from './records.js';
import { CohortError } from './errors.js';
import { RECORD_KINDS } from './rules/exhaustive.js';

/**
 * Binary encoding of the messages of `records.proto`, with protobufjs. The WAL
 * and the record stream carry exactly these bytes.
 */


let root: protobuf.Root | undefined;

function types() {
  if (!root) {
    const dir = protosDir();
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(dir, target));
    root.loadSync(PROTO_FILES.map((f) => join(dir, f)));
    root.resolveAll();
  }
  return {
    Record: root.lookupType('cohort.v1.Record'),
    WalHeader: root.lookupType('cohort.v1.WalHeader'),
    OpenRunRequest: root.lookupType('cohort.v1.OpenRunRequest'),
    OpenRunResponse: root.lookupType('cohort.v1.OpenRunResponse'),
  };
}

let cached: ReturnType<typeof types> | undefined;
function t() {
  return (cached ??= types());
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, defaults: true, arrays: true, oneofs: false };

/** Encodes one record to the bytes the WAL and the stream carry. */
export function encodeRecord(record: RecordMessage): Uint8Array {
  const { seq, kind } = record;
  const body = (record as unknown as Record<string, unknown>)[kind];
  return t().Record.encode({ seq, [kind]: body }).finish();
}

/**
 * Decodes the bytes of one record. Throws `CohortError` INVALID_ARGUMENT for
 * bytes that are not a record or hold no kind.
 */
export function decodeRecord(bytes: Uint8Array): RecordMessage {
  let decoded: Record<string, unknown>;
  let obj: Record<string, unknown>;
  try {
    const message = t().Record.decode(bytes);
    decoded = message as unknown as Record<string, unknown>;
    obj = t().Record.toObject(message, TO_OBJECT) as Record<string, unknown>;
  } catch (err) {
    throw new CohortError('INVALID_ARGUMENT', `record: not a valid cohort.v1.Record (${(err as Error).message})`);
  }
  const kind = RECORD_KINDS.find((k) => decoded[k] != null);
  if (!kind) throw new CohortError('INVALID_ARGUMENT', `record: holds no kind (expected one of ${RECORD_KINDS.join(', ')})`);
  const out: Record<string, unknown> = { seq: Number(obj.seq ?? 0), kind, [kind]: obj[kind] };
  return out as unknown as RecordMessage;
}

/** Encodes the header entry of a WAL. */
export function encodeWalHeader(header: WalHeaderMessage): Uint8Array {
  return t().WalHeader.encode(header).finish();
}

/** Decodes the header entry of a WAL. */
export function decodeWalHeader(bytes: Uint8Array): WalHeaderMessage {
  try {
    return t().WalHeader.toObject(t().WalHeader.decode(bytes), TO_OBJECT) as WalHeaderMessage;
  } catch (err) {
    throw new CohortError('DATA_LOSS', `WAL header: not a valid cohort.v1.WalHeader (${(err as Error).message})`);
  }
}

/** Fills absent fields of an OpenRunRequest with their proto3 defaults. */
export function withOpenRunDefaults(partial: Partial<OpenRunRequestMessage>): OpenRunRequestMessage {
  const T = t().OpenRunRequest;
  return T.toObject(T.fromObject(partial), TO_OBJECT) as OpenRunRequestMessage;
}

/** Fills absent fields of an OpenRunResponse with their proto3 defaults. */
export function withOpenRunResponseDefaults(partial: Partial<OpenRunResponseMessage>): OpenRunResponseMessage {
  const T = t().OpenRunResponse;
  return T.toObject(T.fromObject(partial), TO_OBJECT) as OpenRunResponseMessage;
}
