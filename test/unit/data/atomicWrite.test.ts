/** Atomic writes flush the data to the disk (fsync) before the rename makes it the file. */
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../../../server/src/data/atomicWrite';
import { writeDirAtomic } from '../../../server/src/runs/atomicDir';
import { tempDir } from './fixtures';

test('writeFileAtomic and writeDirAtomic fsync every file before renaming it into place', async () => {
  const dir = tempDir('fsync');
  const probe = await fs.promises.open(path.join(dir, 'probe'), 'w');
  const handleProto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const order: string[] = [];
  const realSync = handleProto.sync;
  const realRename = fs.promises.rename;
  const sync = mock.method(handleProto, 'sync', async function (this: fs.promises.FileHandle) {
    order.push('sync');
    return realSync.call(this);
  });
  const rename = mock.method(fs.promises, 'rename', async (a: string, b: string) => {
    order.push(`rename ${path.basename(b)}`);
    return realRename(a, b);
  });
  try {
    await writeFileAtomic(path.join(dir, 'run.json'), '{}');
    assert.deepEqual(order.slice(0, 2), ['sync', 'rename run.json']);
    order.length = 0;
    await writeDirAtomic(path.join(dir, 'model'), { 'model.json': '{}', 'weights.bin': new Uint8Array(8) });
    const r = order.indexOf('rename model');
    assert.ok(r > 0, order.join(', '));
    assert.equal(order.slice(0, r).filter((x) => x === 'sync').length >= 2, true, `both files synced before the folder's rename: ${order.join(', ')}`);
  } finally {
    sync.mock.restore();
    rename.mock.restore();
  }
  // The node:fs module object itself (the import above is an interop view of it).
  const fsync = mock.method(createRequire(__filename)('node:fs') as typeof fs, 'fsyncSync');
  try {
    writeFileAtomicSync(path.join(dir, 'sync.json'), '{}');
    assert.equal(fsync.mock.callCount(), 1);
  } finally {
    fsync.mock.restore();
  }
  assert.equal(fs.readFileSync(path.join(dir, 'sync.json'), 'utf8'), '{}');
});
