import { describe, expect, it } from 'vitest';
import {
  formatMoment,
  generateRunId,
  parseMoment,
  validateArtifactName,
  validateEntity,
  validateGroup,
  validateJobType,
  validateProject,
  validateRunId,
  validateTags,
} from './names.js';

const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

describe('validateRunId', () => {
  it('accepts and returns an ordinary id', () => {
    expect(validateRunId('abc-123_X.y')).toBe('abc-123_X.y');
  });

  it.each(['', ' abc', 'abc ', 'a\t', ...[':', ';', ',', '#', '?', '/', "'"].map((c) => `a${c}b`)])('rejects %j', (id) => {
    expect(() => validateRunId(id)).toThrow(invalid);
  });

  it('names the field and the character', () => {
    expect(() => validateRunId('a/b', 'resume id')).toThrow(/Expected `resume id` to be a run id.*\(contains "\/"\)/);
  });

  it('rejects a non-string with a TypeError', () => {
    expect(() => validateRunId(12)).toThrow(TypeError);
  });

  it('rejects an id over 128 characters', () => {
    expect(() => validateRunId('a'.repeat(129))).toThrow(invalid);
    expect(validateRunId('a'.repeat(128))).toHaveLength(128);
  });
});

describe('validateProject and validateEntity', () => {
  it('accepts up to 128 characters', () => {
    expect(validateProject('p'.repeat(128))).toHaveLength(128);
    expect(validateEntity('team-a')).toBe('team-a');
  });

  it.each(['', 'p'.repeat(129), ...['/', '\\', '#', '?', '%', ':'].map((c) => `a${c}b`)])('rejects %j', (name) => {
    expect(() => validateProject(name)).toThrow(invalid);
    expect(() => validateEntity(name)).toThrow(/`entity`/);
  });

  it('rejects a non-string with a TypeError', () => {
    expect(() => validateProject(null)).toThrow(TypeError);
  });
});

describe('validateTags', () => {
  it('accepts tags of 1 to 64 characters and returns a copy', () => {
    const tags = ['a', 't'.repeat(64)];
    const out = validateTags(tags);
    expect(out).toEqual(tags);
    expect(out).not.toBe(tags);
  });

  it('rejects an empty tag and one over 64 characters, naming its index', () => {
    expect(() => validateTags(['ok', ''])).toThrow(/`tags\[1\]`/);
    expect(() => validateTags(['t'.repeat(65)])).toThrow(invalid);
  });

  it('rejects a non-array or a non-string tag with a TypeError', () => {
    expect(() => validateTags('a,b')).toThrow(TypeError);
    expect(() => validateTags([1])).toThrow(TypeError);
  });
});

describe('validateArtifactName, validateGroup and validateJobType', () => {
  it('accepts an artifact name of up to 128 characters without "/"', () => {
    expect(validateArtifactName('model:v1'.slice(0, 5))).toBe('model');
    expect(() => validateArtifactName('a/b')).toThrow(invalid);
    expect(() => validateArtifactName('')).toThrow(invalid);
    expect(() => validateArtifactName('a'.repeat(129))).toThrow(invalid);
  });

  it('accepts group and job type strings of at most 128 characters', () => {
    expect(validateGroup('')).toBe('');
    expect(validateJobType('train')).toBe('train');
    expect(() => validateGroup('g'.repeat(129))).toThrow(/`group`/);
    expect(() => validateJobType(3)).toThrow(TypeError);
  });
});

describe('generateRunId', () => {
  it('gives 8 characters of [a-z0-9], different each time', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = generateRunId();
      expect(id).toMatch(/^[a-z0-9]{8}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(1000);
    expect(validateRunId(generateRunId())).toHaveLength(8);
  });
});

describe('parseMoment', () => {
  it('parses "<run>?_step=<n>"', () => {
    expect(parseMoment('abc123?_step=200', 'forkFrom')).toEqual({ runId: 'abc123', step: 200 });
    expect(parseMoment('r?_step=0', 'resumeFrom')).toEqual({ runId: 'r', step: 0 });
  });

  it('formats a moment back', () => {
    expect(formatMoment({ runId: 'abc', step: 5 })).toBe('abc?_step=5');
  });

  it.each(['abc', 'abc?_step=', 'abc?_step=-1', 'abc?_step=1.5', '?_step=3', 'abc?step=3', 'a/b?_step=3', 'abc?_step=99999999999999999999'])(
    'rejects %j with INVALID_ARGUMENT naming the field',
    (text) => {
      expect(() => parseMoment(text, 'forkFrom')).toThrow(invalid);
      expect(() => parseMoment(text, 'resumeFrom')).toThrow(/`resumeFrom/);
    },
  );

  it('rejects a non-string with a TypeError', () => {
    expect(() => parseMoment(3, 'forkFrom')).toThrow(TypeError);
  });
});
