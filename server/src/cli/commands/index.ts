/** Every CLI subcommand. Add one line per command module. */
import type { CliCommand } from '../types';
import { doctor } from './doctor';
import { info } from './info';
import { train } from './train';
import { evaluate } from './eval';
import { boxes } from './boxes';
import { demo } from './demo';
import { explain } from './explain';
import { sweep } from './sweep';
import { submit } from './submit';
import { compare } from './compare';
import { predict } from './predict';

export const commands: CliCommand[] = [doctor, info, train, evaluate, boxes, demo, explain, sweep, submit, compare, predict];
