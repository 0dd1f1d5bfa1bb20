import { describe, expect, it } from 'vitest';
import { withOpenRunDefaults } from '../codec.js';
import { parseOpenRunRequest } from './open-run-schema.js';
import { DEFAULT_LIMITS, resolveLimits } from './limits.js';

describe('parseOpenRunRequest', () => {
  it('accepts a request with proto3 defaults', () => {
    const req = withOpenRunDefaults({ project: 'p', runId: 'abc', rank: -1, worldSize: -1, localRank: -1 });
    expect(parseOpenRunRequest(req)).toMatchObject({ project: 'p', runId: 'abc' });
  });

  it('names the field and the rule', () => {
    const req = withOpenRunDefaults({ project: 'p', tags: ['a', 'x'.repeat(65)] });
    expect(() => parseOpenRunRequest(req)).toThrow('OpenRunRequest.tags[1]: tag must be at most 64 characters long');
    expect(() => parseOpenRunRequest(withOpenRunDefaults({ configJson: '"x"' }))).toThrow('OpenRunRequest.configJson: must be a JSON object, got string');
    expect(() => parseOpenRunRequest(withOpenRunDefaults({ resume: 'sometimes' }))).toThrow(/OpenRunRequest\.resume: must be one of/);
  });

  it('rejects resume with forkFrom and a rank past the world size', () => {
    expect(() => parseOpenRunRequest(withOpenRunDefaults({ resume: 'allow', forkFrom: 'r?_step=3' }))).toThrow(
      'OpenRunRequest.forkFrom: resume and forkFrom cannot be used together',
    );
    expect(() => parseOpenRunRequest(withOpenRunDefaults({ rank: 4, worldSize: 4 }))).toThrow('OpenRunRequest.rank: rank 4 must be below worldSize 4');
  });

  it('checks a group claim: a rank, a token, a base group, no shared mode, bounded key', () => {
    const claim = { project: 'p', group: 'torchrun', rank: 0, groupKey: 'torchelastic:none', groupToken: 'h:/tmp/te', groupSlot: '0' };
    expect(parseOpenRunRequest(withOpenRunDefaults(claim))).toMatchObject({ groupKey: 'torchelastic:none' });
    expect(() => parseOpenRunRequest(withOpenRunDefaults({ ...claim, rank: -1 }))).toThrow('OpenRunRequest.rank: a group claim (groupKey) needs the rank');
    expect(() => parseOpenRunRequest(withOpenRunDefaults({ ...claim, groupToken: '' }))).toThrow('OpenRunRequest.groupToken: must not be empty with a groupKey');
    expect(() => parseOpenRunRequest(withOpenRunDefaults({ ...claim, group: '' }))).toThrow('OpenRunRequest.group: the base group name must not be empty with a groupKey');
    expect(() => parseOpenRunRequest(withOpenRunDefaults({ ...claim, mode: 'shared' }))).toThrow(/OpenRunRequest\.groupKey: a group claim cannot be used with shared mode/);
    expect(() => parseOpenRunRequest(withOpenRunDefaults({ ...claim, groupKey: 'k'.repeat(513) }))).toThrow('OpenRunRequest.groupKey: must be at most 512 characters long');
  });
});

describe('resolveLimits', () => {
  it('merges an override into the defaults', () => {
    expect(resolveLimits({ maxTags: 3 })).toEqual({ ...DEFAULT_LIMITS, maxTags: 3 });
  });

  it('names a bad limit', () => {
    expect(() => resolveLimits({ maxTags: 0 })).toThrow(/`maxTags` to be a positive integer/);
    expect(() => resolveLimits({ nope: 1 } as never)).toThrow(TypeError);
  });
});
