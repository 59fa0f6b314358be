/** A CLI subcommand. `run` returns the JSON summary printed as the last line with --json. */
export interface CliIo {
  json: boolean;
  /** Human-readable output (suppressed from stdout with --json only where it would break the last line). */
  out: (line: string) => void;
  err: (line: string) => void;
  /** Whether stdout is an interactive terminal (progress bars only there). */
  tty: boolean;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Options for node:util parseArgs. */
  options?: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  run(args: { positionals: string[]; values: Record<string, string | boolean | string[] | undefined> }, io: CliIo): Promise<unknown>;
}

/** An error meant for the user: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}
