import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { confinePath, isConfined, PathRefusedError } from '../../../server/src/paths/confine';

function tree(): { base: string; ws: string; out: string } {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'confine-')));
  const ws = path.join(base, 'ws');
  const out = path.join(base, 'out');
  fs.mkdirSync(path.join(ws, 'data'), { recursive: true });
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'secret'), 'root:x');
  fs.writeFileSync(path.join(ws, 'data', 'a.png'), 'png');
  fs.symlinkSync(out, path.join(ws, 'link-out'));
  fs.symlinkSync(path.join(ws, 'data'), path.join(ws, 'link-in'));
  fs.symlinkSync(path.join(out, 'new-file'), path.join(ws, 'dangling'));
  return { base, ws, out };
}

test('paths inside the workspace resolve against it, through symlinks that stay inside, existing or still to be written', () => {
  const { base, ws } = tree();
  try {
    const o = { allowed: [ws], field: 'runDir' };
    assert.equal(confinePath('data/a.png', o), path.join(ws, 'data', 'a.png'));
    assert.equal(confinePath(path.join(ws, 'data', 'a.png'), o), path.join(ws, 'data', 'a.png'));
    assert.equal(confinePath('link-in/a.png', o), path.join(ws, 'data', 'a.png'), 'a link inside resolves to its target');
    assert.equal(confinePath('runs/new/deeper/file.json', o), path.join(ws, 'runs', 'new', 'deeper', 'file.json'), 'not yet existing');
    assert.equal(confinePath('data/../data/a.png', o), path.join(ws, 'data', 'a.png'));
    // The workspace itself reached through a symlink.
    fs.symlinkSync(ws, path.join(base, 'ws-alias'));
    assert.equal(confinePath('data/a.png', { allowed: [path.join(base, 'ws-alias')], field: 'f' }), path.join(ws, 'data', 'a.png'));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('.., absolute paths, symlinks out, dangling links, NUL and a missing workspace are refused, naming the field', () => {
  const { base, ws, out } = tree();
  try {
    const o = { allowed: [ws], field: 'outFile' };
    const refusals: [string, RegExp][] = [
      ['../out/secret', /outside the workspace folders \(it resolves to .*out.secret\)/],
      [path.join(out, 'secret'), /outside the workspace folders/],
      ['/etc/passwd', /outside/],
      ['link-out/secret', /outside .*resolves to .*out.secret/],
      ['link-out/new/file', /outside/],
      ['dangling', /symbolic link that points nowhere/],
      ['a\0b', /NUL/],
      [path.join(base, 'ws-sibling', 'x'), /outside/],
    ];
    for (const [p, why] of refusals) {
      assert.throws(() => confinePath(p, o), (e: unknown) => e instanceof PathRefusedError && e.field === 'outFile' && e.message.startsWith('outFile: ') && why.test(e.message), p);
    }
    assert.throws(() => confinePath('data/a.png', { allowed: [], field: 'path' }), /no workspace folder is open/);
    assert.equal(isConfined(path.join(ws, 'link-out'), [ws]), false);
    assert.equal(isConfined(path.join(ws, 'data'), [ws]), true);
    // The refusal never reads the file: its contents are nowhere in the message.
    assert.throws(() => confinePath('link-out/secret', o), (e: Error) => !e.message.includes('root:x'));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
