/**
 * The .vsix the tests install: the one `test/run-all.mjs` packaged for this run
 * (MEDSTUDIO_VSIX), else packaged here with `bin/package.mjs` (this machine's target), which
 * is exactly what `npm run package` gives a user.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unzipSync } from 'fflate';

export const ROOT = path.resolve(__dirname, '..', '..');

let built: string | undefined;

export function packagedVsix(): string {
  const given = process.env.MEDSTUDIO_VSIX;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`MEDSTUDIO_VSIX=${given} does not exist`);
    return given;
  }
  if (built) return built;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-vsix-')), 'medstudio.vsix');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'tools', 'package.mjs'), '--out', out], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run package failed (exit code ${r.status}):\n${r.stdout}\n${r.stderr}`);
  built = out;
  return out;
}

/** The files of a .vsix's extension/ folder, relative to it. */
export function vsixFiles(vsix: string): string[] {
  const names: string[] = [];
  unzipSync(fs.readFileSync(vsix), {
    filter: (f) => {
      names.push(f.name);
      return false;
    },
  });
  return names.filter((f) => f.startsWith('extension/') && !f.endsWith('/')).map((f) => f.slice('extension/'.length));
}

/**
 * Unpacks the extension into a fresh folder under the system temp dir (no node_modules above
 * it, so nothing resolves from a development checkout) and returns the extension's root.
 */
export function unpackVsix(vsix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-unpacked-'));
  for (const [name, data] of Object.entries(unzipSync(fs.readFileSync(vsix)))) {
    if (!name.startsWith('extension/') || name.endsWith('/')) continue;
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
  }
  // Zip entries carry no exec bit here; the addon and scripts are loaded by node, which needs none.
  return path.join(dir, 'extension');
}
