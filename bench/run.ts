/** `npm run bench -- <name> [--json]`: runs bench/<name>.ts's default export. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BenchIo {
  json: boolean;
  args: string[];
  log: (line: string) => void;
}
export type Bench = (io: BenchIo) => Promise<Record<string, unknown>>;

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const available = fs.readdirSync(__dirname).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.replace(/\.ts$/, ''));
  if (!name || !available.includes(name)) {
    console.error(`usage: npm run bench -- <name> [--json]\navailable: ${available.join(', ')}`);
    process.exit(2);
  }
  const json = rest.includes('--json');
  const mod = (await import(path.join(__dirname, `${name}.ts`))) as { default: Bench };
  const figures = await mod.default({ json, args: rest.filter((a) => a !== '--json'), log: (l) => console.log(l) });
  console.log(json ? JSON.stringify(figures) : JSON.stringify(figures, null, 2));
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
