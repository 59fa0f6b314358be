import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The workspace an experiment belongs to: the nearest folder up from the experiment file that
 * holds `.git` or `package.json`; the experiment's own folder when there is none. Runs go in
 * `<workspace>/.medstudio/runs/`, next to the project rather than next to each experiment.
 */
export function findWorkspaceRoot(experimentFile: string): string {
  const start = path.dirname(path.resolve(experimentFile));
  for (let dir = start; ; ) {
    if (fs.existsSync(path.join(dir, '.git')) || fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return start;
    dir = up;
  }
}

/** The default runs folder of an experiment. */
export function defaultRunsDir(experimentFile: string): string {
  return path.join(findWorkspaceRoot(experimentFile), '.medstudio', 'runs');
}
