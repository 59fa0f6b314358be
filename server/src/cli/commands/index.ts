/** Every CLI subcommand. Add one line per command module. */
import type { CliCommand } from '../types';
import { doctor } from './doctor';

export const commands: CliCommand[] = [doctor];
