import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { csvSource } from '../../../server/src/data/datasets/sources';

test('a file that is not a CSV manifest is named in the error, never quoted', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-echo-'));
  try {
    const file = path.join(dir, 'shadow');
    fs.writeFileSync(file, 'root:$6$SECRET-HASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n');
    assert.throws(() => csvSource(file), (e: Error) => e.message.includes(file) && /first line is not a list of column names/.test(e.message) && !e.message.includes('SECRET'));
    // A real manifest with the wrong columns still says which columns it has.
    fs.writeFileSync(file, 'file,class\na.png,nevus\n');
    assert.throws(() => csvSource(file), /it has file, class/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
