/** The Slurm command-line contract: the array script we write, and parsing squeue/scontrol output. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScontrol, parseSqueue } from '../../../server/src/slurm/commands';
import { arrayScript, shq } from '../../../server/src/slurm/script';
import { trialStateOf } from '../../../server/src/slurm/sweep';
import { mergedState } from '../../../server/src/sweeps/table';

test('the array script: one task per trial, resources as #SBATCH directives, trial files quoted', () => {
  const s = arrayScript({
    name: 'skin lesions / lr',
    trialFiles: ['/w/s/t01/t01.medstudio.yaml', "/w/it's/t02.medstudio.yaml", '/w/s/t03/t03.medstudio.yaml'],
    logsDir: '/w/s/slurm/logs',
    resources: { partition: 'gpu', cpus: 4, memory: '8G', gpus: 1, time: '01:00:00', maxParallel: 2, setup: 'module load nodejs' },
    cli: ['/opt/node/bin/node', '/opt/medstudio/bin/medstudio.js'],
    trainArgs: ['--backend', 'wasm'],
  });
  const lines = s.split('\n');
  assert.equal(lines[0], '#!/bin/bash');
  for (const d of ['--job-name=medstudio-skin-lesions-lr', '--array=0-2%2', '--output=/w/s/slurm/logs/%A_%a.out', '--partition=gpu', '--cpus-per-task=4', '--mem=8G', '--gres=gpu:1', '--time=01:00:00']) {
    assert.ok(lines.includes(`#SBATCH ${d}`), d);
  }
  // Directives must come before the first command, or sbatch ignores them.
  const firstCommand = lines.findIndex((l) => l && !l.startsWith('#'));
  assert.ok(lines.slice(firstCommand).every((l) => !l.startsWith('#SBATCH')));
  assert.ok(lines.includes('module load nodejs'));
  assert.ok(lines.includes(`TRIALS=('/w/s/t01/t01.medstudio.yaml' '/w/it'\\''s/t02.medstudio.yaml' '/w/s/t03/t03.medstudio.yaml')`));
  assert.equal(lines[lines.length - 2], `exec '/opt/node/bin/node' '/opt/medstudio/bin/medstudio.js' train "\${TRIALS[$SLURM_ARRAY_TASK_ID]}" '--backend' 'wasm'`);
  assert.throws(() => arrayScript({ name: 'x', trialFiles: ['/a'], logsDir: '/l', resources: { partition: 'a b' }, cli: ['n', 'm'] }), /spaces or quotes/);
  assert.equal(shq("a'b"), `'a'\\''b'`);
});

test('squeue -r -o "%K|%T|%r" and scontrol show job -o: per-task states', () => {
  const q = parseSqueue('0|RUNNING|None\n1|PENDING|Resources\n2|PENDING|Priority\n');
  assert.deepEqual([...q], [
    [0, { state: 'RUNNING' }],
    [1, { state: 'PENDING', reason: 'Resources' }],
    [2, { state: 'PENDING', reason: 'Priority' }],
  ]);
  // As printed by slurm-wlm 22.05 for an array whose tasks ended (one line per task, -o).
  const sc = parseScontrol(
    'JobId=2 ArrayJobId=1 ArrayTaskId=0 JobName=wrap UserId=root(0) JobState=COMPLETED Reason=None Dependency=(null) ExitCode=0:0 RunTime=00:00:02\n' +
      'JobId=3 ArrayJobId=1 ArrayTaskId=1 JobName=wrap UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=1:0 RunTime=00:00:01\n',
  );
  assert.deepEqual(sc.get(0), { state: 'COMPLETED', exitCode: '0:0' });
  assert.deepEqual(sc.get(1), { state: 'FAILED', reason: 'NonZeroExitCode', exitCode: '1:0' });
});

test('Slurm states map onto trial states', () => {
  const cases: [string, string][] = [
    ['PENDING', 'pending'],
    ['CONFIGURING', 'pending'],
    ['RUNNING', 'running'],
    ['COMPLETING', 'running'],
    ['COMPLETED', 'finished'],
    ['CANCELLED', 'cancelled'],
    ['CANCELLED+', 'cancelled'],
    ['FAILED', 'failed'],
    ['TIMEOUT', 'failed'],
    ['OUT_OF_MEMORY', 'failed'],
    ['NODE_FAIL', 'failed'],
  ];
  for (const [s, t] of cases) assert.equal(trialStateOf(s), t, s);
});

test("a trial is running while Slurm runs its task, even after run.json says finished; Slurm's failure wins", () => {
  assert.equal(mergedState('finished', { state: 'running', scheduler: 'RUNNING' }), 'running');
  assert.equal(mergedState(undefined, { state: 'pending', scheduler: 'PENDING (Resources)' }), 'pending');
  assert.equal(mergedState('finished', { state: 'finished', scheduler: 'COMPLETED' }), 'finished');
  assert.equal(mergedState('failed', { state: 'finished', scheduler: 'COMPLETED' }), 'failed');
  assert.equal(mergedState('finished', { state: 'failed', scheduler: 'OUT_OF_MEMORY' }), 'failed');
  assert.equal(mergedState('running', { state: 'cancelled', scheduler: 'CANCELLED' }), 'cancelled');
  assert.equal(mergedState('finished', { state: 'interrupted', scheduler: 'no longer known to Slurm' }), 'finished');
  assert.equal(mergedState('running', undefined), 'running');
});
