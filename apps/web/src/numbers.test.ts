import { describe, expect, it } from 'vitest';
import { formatDuration, formatDurationTicks, formatKeyed, formatLogTicks, formatNumber, formatTicks, scientific } from './numbers.js';

describe('formatNumber (hovers and tables)', () => {
  it('never reads a small value as 0', () => {
    expect(formatNumber(0.0003, 'en-US')).toBe('3e-4');
    expect(formatNumber(0.000314159, 'en-US')).toBe('3.14159e-4');
    expect(formatNumber(-2.5e-7, 'en-US')).toBe('-2.5e-7');
    expect(formatNumber(0, 'en-US')).toBe('0');
  });
  it('groups thousands and keeps six significant digits', () => {
    expect(formatNumber(165000, 'en-US')).toBe('165,000');
    expect(formatNumber(1234567890, 'en-US')).toBe('1,234,567,890');
    expect(formatNumber(1234.56789, 'en-US')).toBe('1,234.57');
    expect(formatNumber(0.123456789, 'en-US')).toBe('0.123457');
    expect(formatNumber(2.5e20, 'en-US')).toBe('2.5e20');
  });
  it('names NaN and the infinities', () => {
    expect([NaN, Infinity, -Infinity].map((v) => formatNumber(v))).toEqual(['NaN', 'Infinity', '-Infinity']);
  });
});

describe('formatTicks (linear axes)', () => {
  it('keeps ticks of a learning rate around 3e-4 distinct', () => {
    const ticks = [2.9e-4, 2.95e-4, 3e-4, 3.05e-4, 3.1e-4];
    expect(formatTicks(ticks, 5e-6, 'en-US')).toEqual(['2.90e-4', '2.95e-4', '3.00e-4', '3.05e-4', '3.10e-4']);
  });
  it('writes large values with SI prefixes, as many digits as the increment needs', () => {
    expect(formatTicks([150000, 155000, 160000, 165000], 5000, 'en-US')).toEqual(['150k', '155k', '160k', '165k']);
    expect(formatTicks([0, 2e8, 4e8, 6e8, 8e8, 1e9, 1.2e9], 2e8, 'en-US')).toEqual(['0', '200M', '400M', '600M', '800M', '1.0G', '1.2G']);
    expect(formatTicks([9000, 9500, 10000, 10500], 500, 'en-US')).toEqual(['9.0k', '9.5k', '10.0k', '10.5k']);
  });
  it('writes the middle range with fixed decimals and separators', () => {
    expect(formatTicks([0, 0.25, 0.5, 0.75, 1], 0.25, 'en-US')).toEqual(['0.00', '0.25', '0.50', '0.75', '1.00']);
    expect(formatTicks([0, 2000, 4000, 6000], 2000, 'en-US')).toEqual(['0', '2,000', '4,000', '6,000']);
    expect(formatTicks([1.2, 1.4], 0.2, 'en-US')).toEqual(['1.2', '1.4']);
  });
});

describe('formatLogTicks, durations and keyed values', () => {
  it('writes decades compactly', () => {
    expect(formatLogTicks([1e-5, 1e-4, 0.01, 1, 100, 1e5, 1e6], 'en-US')).toEqual(['1e-5', '1e-4', '0.01', '1', '100', '100k', '1M']);
    // uPlot passes null for a tick it leaves unlabelled: blank, not "-Infinity".
    expect(formatLogTicks([0.004, null, 0.01, null, 0.1], 'en-US')).toEqual(['0.004', '', '0.01', '', '0.1']);
  });
  it('reads durations', () => {
    expect(formatDuration(5.234)).toBe('5.2s');
    expect(formatDuration(90)).toBe('1m 30s');
    expect(formatDuration(3723)).toBe('1h 02m');
    expect(formatDuration(2 * 86400 + 3 * 3600)).toBe('2d 03h');
    expect(formatDurationTicks([0, 30, 60, 90])).toEqual(['0', '30s', '1m 00s', '1m 30s']);
  });
  it('shows _timestamp as a date and _runtime as a duration', () => {
    expect(formatKeyed('_runtime', 123.456789)).toBe('2m 03s');
    const ts = Date.UTC(2026, 11, 1, 9, 30, 0) / 1000;
    expect(formatKeyed('_timestamp', ts, 'en-US')).toBe(new Date(ts * 1000).toLocaleString('en-US', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }));
    expect(formatKeyed('_timestamp', ts, 'en-US')).toContain('2026');
    expect(formatKeyed('train.lr', 0.0003, 'en-US')).toBe('3e-4');
  });
  it('trims the mantissa of scientific values', () => {
    expect(scientific(1.5e-9)).toBe('1.5e-9');
    expect(scientific(3e-4)).toBe('3e-4');
  });
});
