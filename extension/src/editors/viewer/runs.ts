/** Trained runs the viewer can explain with: .medstudio/runs/<id>/model/model.json. Pure (no vscode). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RunChoice {
  id: string;
  dir: string;
  detail: string;
}

/** Runs with a saved model in every workspace folder, newest model first. */
export function findRuns(roots: readonly string[]): RunChoice[] {
  const out: (RunChoice & { mtime: number })[] = [];
  for (const root of roots) {
    const runs = path.join(root, '.medstudio', 'runs');
    if (!fs.existsSync(runs)) continue;
    for (const id of fs.readdirSync(runs)) {
      const model = path.join(runs, id, 'model', 'model.json');
      if (!fs.existsSync(model)) continue;
      const mtime = fs.statSync(model).mtimeMs;
      let method = '';
      try {
        method = String((JSON.parse(fs.readFileSync(path.join(runs, id, 'run.json'), 'utf8')) as { method?: unknown }).method ?? '');
      } catch {
        /* run.json is optional here */
      }
      out.push({ id, dir: path.join(runs, id), mtime, detail: `${method ? `${method} · ` : ''}model saved ${new Date(mtime).toLocaleString()}` });
    }
  }
  return out.sort((a, b) => b.mtime - a.mtime);
}
