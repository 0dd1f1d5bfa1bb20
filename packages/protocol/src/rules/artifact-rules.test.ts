import { describe, expect, it } from 'vitest';
import {
  checkAlias,
  checkArtifactName,
  checkFilePath,
  checkReferenceUri,
  checkRegisteredModelName,
  manifestDigest,
  parseArtifactPath,
  parseLinkTarget,
  resolveAliases,
} from './artifact-rules.js';

describe('artifact rules', () => {
  it('accepts names up to 128 characters without "/" or ":"', () => {
    expect(checkArtifactName('a'.repeat(128))).toHaveLength(128);
    expect(() => checkArtifactName('a'.repeat(129))).toThrow(/1 to 128 characters/);
    expect(() => checkArtifactName('a/b')).toThrow(/no "\/"/);
    expect(() => checkArtifactName('a:b')).toThrow(/no ":"/);
    expect(() => checkArtifactName('')).toThrow(/`name`/);
  });

  it('always adds latest and refuses aliases with "/" or ":" or version names', () => {
    expect(resolveAliases(['best'])).toEqual(['best', 'latest']);
    expect(resolveAliases(undefined)).toEqual(['latest']);
    expect(() => checkAlias('a/b')).toThrow(/no "\/" or ":"/);
    expect(() => checkAlias('x:y')).toThrow(/no "\/" or ":"/);
    expect(() => checkAlias('v3')).toThrow(/version name/);
  });

  it('parses artifact paths with an optional alias', () => {
    expect(parseArtifactPath('data')).toEqual({ entity: undefined, project: undefined, name: 'data', alias: 'latest' });
    expect(parseArtifactPath('p/data:v2')).toEqual({ entity: undefined, project: 'p', name: 'data', alias: 'v2' });
    expect(parseArtifactPath('e/p/data:best')).toEqual({ entity: 'e', project: 'p', name: 'data', alias: 'best' });
    expect(() => parseArtifactPath('a/b/c/d')).toThrow(/entity\/project\/name/);
    expect(parseLinkTarget('e/model-registry/net')).toEqual({ entity: 'e', project: 'model-registry', name: 'net' });
    expect(() => checkRegisteredModelName('a/b')).toThrow(/registeredModelName/);
  });

  it.each([
    ['../escape', /\.\./],
    ['a/../../b', /\.\./],
    ['/etc/passwd', /relative path/],
    ['C:/windows', /relative path/],
    ['a\\b', /contain no "\\"/],
    ['a\0b', /NUL/],
    ['a//b', /empty segment/],
    ['dir/', /empty segment/],
    ['', /non-empty/],
    ['x'.repeat(256), /255 bytes/],
    ['é/'.repeat(400) + 'x', /1024 bytes/],
  ])('refuses the path %j', (path, rule) => {
    expect(() => checkFilePath(path, 'entries[0].path')).toThrow(rule);
    expect(() => checkFilePath(path, 'entries[0].path')).toThrow(/entries\[0\]\.path/);
  });

  it('normalizes "./" segments and keeps good paths', () => {
    expect(checkFilePath('./a/./b.txt')).toBe('a/b.txt');
    expect(checkFilePath('weights/model.safetensors')).toBe('weights/model.safetensors');
  });

  it('takes s3, gs, https, http and file references only', () => {
    for (const uri of ['s3://b/k', 'gs://b/k', 'https://h/x', 'file:///tmp/x']) expect(checkReferenceUri(uri)).toBe(uri);
    expect(() => checkReferenceUri('ftp://h/x')).toThrow(/s3:\/\//);
    expect(() => checkReferenceUri('/tmp/x')).toThrow(/URI/);
  });

  it('digests a manifest independent of entry order', () => {
    const a = { path: 'a', digest: 'd1', size: 1, ref: '' };
    const b = { path: 'b', digest: 'd2', size: 2, ref: '' };
    expect(manifestDigest([a, b])).toBe(manifestDigest([b, a]));
    expect(manifestDigest([a, b])).not.toBe(manifestDigest([a, { ...b, size: 3 }]));
    expect(manifestDigest([a])).toMatch(/^[0-9a-f]{64}$/);
  });
});
