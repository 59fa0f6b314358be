import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRuns } from '../../../extension/src/editors/viewer/runs';

test('"Explain This Image" offers only runs with a saved model, newest first, with their method', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'runs-'));
  try {
    const run = (id: string, model: boolean, mtime: number, method?: string) => {
      const dir = path.join(ws, '.medstudio', 'runs', id);
      fs.mkdirSync(path.join(dir, 'model'), { recursive: true });
      if (method) fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ method }));
      if (model) {
        const f = path.join(dir, 'model', 'model.json');
        fs.writeFileSync(f, '{}');
        fs.utimesSync(f, mtime, mtime);
      }
    };
    run('care-old', true, 1_000_000, 'care');
    run('disco-new', true, 2_000_000, 'disco');
    run('still-training', false, 3_000_000, 'care');
    run('no-run-json', true, 1_500_000);
    const runs = findRuns([ws, path.join(ws, 'missing')]);
    assert.deepEqual(runs.map((r) => r.id), ['disco-new', 'no-run-json', 'care-old']);
    assert.match(runs[0]!.detail, /^disco · model saved/);
    assert.match(runs[1]!.detail, /^model saved/);
    assert.equal(runs[2]!.dir, path.join(ws, '.medstudio', 'runs', 'care-old'));
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
});
