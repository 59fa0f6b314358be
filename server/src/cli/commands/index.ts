/** Every CLI subcommand. Add one line per command module. */
import type { CliCommand } from '../types';
import { doctor } from './doctor';
import { info } from './info';

export const commands: CliCommand[] = [doctor, info];
