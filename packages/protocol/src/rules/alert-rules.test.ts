import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_WAIT_MS, isAlertSuppressed, parseAlert } from './alert-rules.js';

const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

describe('parseAlert', () => {
  it('defaults to level INFO and a 60 s wait', () => {
    expect(parseAlert('t', 'x')).toEqual({ title: 't', text: 'x', level: 'INFO', waitDurationMs: 60_000 });
    expect(DEFAULT_ALERT_WAIT_MS).toBe(60_000);
  });

  it.each(['INFO', 'WARN', 'ERROR'])('accepts the level %s', (level) => {
    expect(parseAlert('t', 'x', { level }).level).toBe(level);
  });

  it.each(['info', 'WARNING', 'DEBUG', 1])('rejects the level %j', (level) => {
    expect(() => parseAlert('t', 'x', { level })).toThrow(invalid);
    expect(() => parseAlert('t', 'x', { level })).toThrow(/Expected `level` to be one of INFO, WARN, ERROR/);
  });

  it('takes waitDuration in seconds or { ms }', () => {
    expect(parseAlert('t', 'x', { waitDuration: 300 }).waitDurationMs).toBe(300_000);
    expect(parseAlert('t', 'x', { waitDuration: 0.5 }).waitDurationMs).toBe(500);
    expect(parseAlert('t', 'x', { waitDuration: { ms: 1500 } }).waitDurationMs).toBe(1500);
  });

  it('takes 0 or absent as 60 s', () => {
    expect(parseAlert('t', 'x', { waitDuration: 0 }).waitDurationMs).toBe(60_000);
    expect(parseAlert('t', 'x', { waitDuration: { ms: 0 } }).waitDurationMs).toBe(60_000);
    expect(parseAlert('t', 'x', { waitDuration: undefined }).waitDurationMs).toBe(60_000);
  });

  it('rejects a negative or non-finite wait and a wait of the wrong type', () => {
    expect(() => parseAlert('t', 'x', { waitDuration: -1 })).toThrow(invalid);
    expect(() => parseAlert('t', 'x', { waitDuration: Infinity })).toThrow(invalid);
    expect(() => parseAlert('t', 'x', { waitDuration: '60' })).toThrow(TypeError);
    expect(() => parseAlert('t', 'x', { waitDuration: { seconds: 1 } })).toThrow(TypeError);
  });

  it('accepts a title shorter than 64 characters (W&B)', () => {
    expect(parseAlert('t'.repeat(63), '').title).toHaveLength(63);
    expect(() => parseAlert('', 'x')).toThrow(invalid);
    expect(() => parseAlert('t'.repeat(64), 'x')).toThrow(/Expected `title` to be 1 to 63 characters/);
  });

  it('accepts a text of at most 64 KiB of UTF-8', () => {
    expect(parseAlert('t', 'a'.repeat(65_536)).text).toHaveLength(65_536);
    expect(() => parseAlert('t', 'a'.repeat(65_537))).toThrow(/at most 65536 bytes/);
    expect(() => parseAlert('t', 'é'.repeat(32_769))).toThrow(invalid);
  });

  it('rejects a title or text that is not a string with a TypeError', () => {
    expect(() => parseAlert(1, 'x')).toThrow(TypeError);
    expect(() => parseAlert('t', null)).toThrow(/Expected `text` to be a string/);
  });

  it('rejects unknown options and options that are not an object', () => {
    expect(() => parseAlert('t', 'x', { lvl: 'INFO' })).toThrow(/Unknown alert option `lvl`/);
    expect(() => parseAlert('t', 'x', 'INFO')).toThrow(TypeError);
  });
});

describe('isAlertSuppressed', () => {
  it('suppresses an alert within the wait of the last one sent', () => {
    expect(isAlertSuppressed(undefined, 1000, 60_000)).toBe(false);
    expect(isAlertSuppressed(1000, 60_999, 60_000)).toBe(true);
    expect(isAlertSuppressed(1000, 61_000, 60_000)).toBe(false);
  });
});
