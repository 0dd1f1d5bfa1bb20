import { describe, expect, it } from 'vitest';
import { buildCommand, parseSweepConfig } from './index.js';

const params = { lr: 0.01, fast: true, slow: false, name: 'resnet', opt: { kind: 'adam', beta: 0.9 } };

describe('buildCommand', () => {
  it("expands W&B's default command: ${env} ${interpreter} ${program} ${args}", () => {
    const config = parseSweepConfig({ method: 'random', program: 'train.py', parameters: { lr: { value: 0.01 } } });
    expect(buildCommand(config, { params })).toEqual([
      '/usr/bin/env',
      'python',
      'train.py',
      '--lr=0.01',
      '--fast=True',
      '--slow=False',
      '--name=resnet',
      '--opt={"kind":"adam","beta":0.9}',
    ]);
    expect(buildCommand(config, { params: { lr: 1 }, interpreter: 'python3', env: '' })).toEqual(['python3', 'train.py', '--lr=1']);
  });

  it('expands every argument macro, other elements verbatim', () => {
    const config = parseSweepConfig({
      method: 'random',
      program: 'train.py',
      parameters: { lr: { value: 0.01 } },
      command: ['torchrun', '--nproc_per_node', 4, '${program}', '${args_no_hyphens}', '--', '${args_no_boolean_flags}', '${args_no_equals}', '${args_json}'],
    });
    expect(buildCommand(config, { params })).toEqual([
      'torchrun',
      '--nproc_per_node',
      '4',
      'train.py',
      'lr=0.01',
      'fast=True',
      'slow=False',
      'name=resnet',
      'opt={"kind":"adam","beta":0.9}',
      '--',
      '--lr=0.01',
      '--fast',
      '--name=resnet',
      '--opt={"kind":"adam","beta":0.9}',
      '--lr',
      '0.01',
      '--fast',
      'True',
      '--slow',
      'False',
      '--name',
      'resnet',
      '--opt',
      '{"kind":"adam","beta":0.9}',
      JSON.stringify(params),
    ]);
  });

  it('is empty when the command needs ${program} and there is none (a sweep for agent functions)', () => {
    const config = parseSweepConfig({ method: 'random', parameters: { lr: { value: 0.01 } } });
    expect(buildCommand(config, { params })).toEqual([]);
    const own = parseSweepConfig({ method: 'random', parameters: { lr: { value: 0.01 } }, command: ['./train.sh', '${args}'] });
    expect(buildCommand(own, { params: { lr: 0.01 } })).toEqual(['./train.sh', '--lr=0.01']);
  });
});
