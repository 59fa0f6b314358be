/** A throwaway workspace for the host tests: a copy of the bundled samples. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './buildSuite';

export function makeWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-ws-'));
  const samples = path.join(ROOT, 'samples');
  if (fs.existsSync(samples)) fs.cpSync(samples, path.join(ws, 'samples'), { recursive: true });
  return ws;
}
