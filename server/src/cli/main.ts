/**
 * `medstudio` command line: the same engine as the server, headless, so a job can move to a
 * remote GPU box or a cluster unchanged. With --json the last line of stdout is one JSON object.
 */
import { parseArgs } from 'node:util';
import { commands } from './commands';
import { runWithSoftwareGpu, SOFTWARE_GPU_FLAG } from './softwareGpu';
import { UsageError, type CliIo } from './types';

function help(): string {
  const lines = ['usage: medstudio <command> [options]', '', 'commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', "Run 'medstudio <command> --help' for a command's options.");
  lines.push(`${SOFTWARE_GPU_FLAG} (with a command that takes --backend): run on WebGPU over SwiftShader, on the CPU, to check the webgpu backend without a GPU.`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...flags] = argv;
  const json = flags.includes('--json');
  const io: CliIo = {
    json,
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(l + '\n'),
    tty: Boolean(process.stdout.isTTY) && !json,
  };
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.err(`medstudio: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  try {
    const { args: rest, exitCode: childExit } = runWithSoftwareGpu(name, flags, Boolean(cmd.options?.backend));
    if (childExit !== undefined) return childExit;
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`usage: ${cmd.usage}`);
      return 0;
    }
    const parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { json: { type: 'boolean' }, ...(cmd.options ?? {}) },
    });
    const result = await cmd.run({ positionals: parsed.positionals, values: parsed.values as never }, io);
    if (json) io.out(JSON.stringify(result ?? {}));
    // A command reports a failed check (not a crash) with exitCode in its result.
    const exitCode = (result as { exitCode?: unknown } | undefined)?.exitCode;
    return typeof exitCode === 'number' ? exitCode : 0;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    io.err(`medstudio ${name}: ${msg}`);
    if (usage) io.err(`usage: ${cmd.usage}`);
    if (json) io.out(JSON.stringify({ error: msg }));
    if (!usage && process.env.MEDSTUDIO_DEBUG && e instanceof Error) io.err(e.stack ?? '');
    return usage ? 2 : 1;
  }
}

/** Exits once stdout has drained: the threaded wasm backend's workers would keep Node alive. */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(exit, (e: unknown) => {
  process.stderr.write(`medstudio: ${String(e)}\n`);
  exit(1);
});
