import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listRuns } from '../../../server/src/runs/listRuns';

test('"Explain This Image" is offered only runs with a saved model, newest first, wherever their runs folder is', () => {
  const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'runs-')));
  const now = Date.now() / 1000;
  try {
    // mtime: seconds before now.
    const run = (where: string, id: string, model: boolean, mtime: number, method: string) => {
      const dir = path.join(ws, where, '.medstudio', 'runs', id);
      fs.mkdirSync(path.join(dir, 'model'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ runId: id, method, state: 'finished', createdAt: '2020-01-01T00:00:00.000Z', epoch: 1, epochs: 1 }));
      if (model) {
        const f = path.join(dir, 'model', 'model.json');
        fs.writeFileSync(f, '{}');
        fs.utimesSync(f, now - mtime, now - mtime);
      }
    };
    run('', 'care-old', true, 400, 'care');
    run('experiments/ct', 'disco-new', true, 300, 'disco');
    run('', 'still-training', false, 200, 'care');
    run('node_modules/pkg', 'dependency', true, 100, 'care');
    const runs = listRuns([ws, path.join(ws, 'missing')], [], 'model');
    assert.deepEqual(runs.map((r) => r.runId), ['disco-new', 'care-old']);
    assert.equal(runs[0]!.method, 'disco');
    assert.equal(runs[1]!.runDir, path.join(ws, '.medstudio', 'runs', 'care-old'));
    // A run the job list knows is listed once, even when the walk finds it too.
    assert.equal(listRuns([ws], [runs[0]!.runDir, path.join(ws, 'experiments', 'ct', '.medstudio', 'runs', 'disco-new', '')]).filter((r) => r.runId === 'disco-new').length, 1);
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
});
