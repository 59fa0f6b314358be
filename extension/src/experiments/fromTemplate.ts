/**
 * A new experiment from a bundled template, in a folder the person chose: only the sample
 * datasets the template reads are copied (beside the experiment, in `medstudio-samples/`), the
 * template's relative paths are rewritten to point at them, and the file is named after its
 * method (`care.medstudio.yaml`, then `care-2…`). Pure (no vscode).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument, visit } from 'yaml';
import { writeFileAtomic } from '../../../server/src/data/atomicWrite';

export interface FromTemplate {
  /** The experiment file written. */
  file: string;
  /** Sample dataset folders copied (absolute), empty when they were there already. */
  copied: string[];
}

const inside = (p: string, root: string) => p === root || p.startsWith(root + path.sep);
const posix = (p: string) => p.split(path.sep).join('/');

/** `<method>.medstudio.yaml` in `folder`, numbered when taken. */
export function experimentName(folder: string, method: string): string {
  const base = method.replace(/[^\w-]+/g, '-') || 'experiment';
  let file = path.join(folder, `${base}.medstudio.yaml`);
  for (let n = 2; fs.existsSync(file); n++) file = path.join(folder, `${base}-${n}.medstudio.yaml`);
  return file;
}

/**
 * Writes the experiment for `template` (a file under `samplesDir/experiments`) into `folder`.
 * Paths into the samples go to copies under `folder/medstudio-samples/<dataset>`; other relative
 * paths (a runs folder beside the samples) are taken against `workspaceRoot` instead.
 */
export async function experimentFromTemplate(template: string, samplesDir: string, folder: string, workspaceRoot: string): Promise<FromTemplate> {
  const templateDir = path.dirname(template);
  const extensionRoot = path.dirname(samplesDir);
  const doc = parseDocument(await fs.promises.readFile(template, 'utf8'));
  const method = String(doc.get('method') ?? 'experiment');
  const copyRoot = path.join(folder, 'medstudio-samples');
  const datasets = new Set<string>();
  visit(doc, {
    Scalar(key, node) {
      if (key !== 'value' || typeof node.value !== 'string' || !/^\.\.?\//.test(node.value)) return;
      const abs = path.resolve(templateDir, node.value);
      let target: string;
      if (inside(abs, samplesDir)) {
        const dataset = path.relative(samplesDir, abs).split(path.sep)[0]!;
        datasets.add(dataset);
        target = path.join(copyRoot, path.relative(samplesDir, abs));
      } else if (inside(abs, extensionRoot)) target = path.join(workspaceRoot, path.relative(extensionRoot, abs));
      else return;
      const rel = posix(path.relative(folder, target));
      node.value = rel.startsWith('.') ? rel : `./${rel}`;
    },
  });
  const copied: string[] = [];
  for (const d of [...datasets].sort()) {
    const dest = path.join(copyRoot, d);
    if (fs.existsSync(dest)) continue;
    await fs.promises.cp(path.join(samplesDir, d), dest, { recursive: true });
    copied.push(dest);
  }
  await fs.promises.mkdir(folder, { recursive: true });
  const file = experimentName(folder, method);
  await writeFileAtomic(file, doc.toString());
  return { file, copied };
}

