import { describe, expect, it } from 'vitest';
import { CohortError } from '@cohort/protocol';
import { toCohortError } from './pg-errors.js';

const withCode = (code: string, message = 'm'): Error => Object.assign(new Error(message), { code });

describe('toCohortError', () => {
  it('answers UNAVAILABLE for an unreachable or restarting server, so workers retry', () => {
    for (const err of [
      withCode('ECONNREFUSED'),
      withCode('ECONNRESET'),
      withCode('08006'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('40001'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      expect(toCohortError(err, 'committing a batch'), err.message).toMatchObject({ code: 'UNAVAILABLE', cause: err });
    }
  });

  it('answers DEADLINE_EXCEEDED for a statement timeout', () => {
    expect(toCohortError(withCode('57014'), 'reading history')).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('answers INVALID_ARGUMENT for a value PostgreSQL cannot hold', () => {
    expect(toCohortError(withCode('22021', 'invalid byte sequence for encoding "UTF8": 0x00'), 'committing a batch')).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('passes other errors and CohortErrors through as they are', () => {
    const bug = withCode('42601', 'syntax error');
    expect(toCohortError(bug, 'x')).toBe(bug);
    const own = new CohortError('FAILED_PRECONDITION', 'steps must increase');
    expect(toCohortError(own, 'x')).toBe(own);
    expect(toCohortError('weird', 'x')).toBe('weird');
  });
});
