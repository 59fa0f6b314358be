/**
 * `--software-gpu`: runs a command on WebGPU over SwiftShader (the CPU), to check the webgpu
 * backend on a machine without a GPU. The Vulkan loader must be on LD_LIBRARY_PATH when the
 * process starts, so the CLI runs itself again in a child with that environment.
 */
import { spawnSync } from 'node:child_process';
import { softwareGpuAllowed, softwareGpuEnv } from '../engine/softwareGpu';
import { UsageError } from './types';

export const SOFTWARE_GPU_FLAG = '--software-gpu';

/**
 * `args`: the command line to parse (the flag removed, `--backend webgpu` added); `exitCode`:
 * the child's, when this process ran the command again in a child with SwiftShader's environment.
 */
export function runWithSoftwareGpu(command: string, argv: string[], takesBackend: boolean): { args: string[]; exitCode?: number } {
  if (!argv.includes(SOFTWARE_GPU_FLAG)) return { args: argv };
  const args = argv.filter((a) => a !== SOFTWARE_GPU_FLAG);
  if (!takesBackend) throw new UsageError(`${SOFTWARE_GPU_FLAG} applies to commands that take --backend`);
  if (!args.includes('--backend')) args.push('--backend', 'webgpu');
  else if (args[args.indexOf('--backend') + 1] !== 'webgpu') throw new UsageError(`${SOFTWARE_GPU_FLAG} runs on the webgpu backend; drop --backend or set it to webgpu`);
  if (softwareGpuAllowed()) return { args };
  const r = softwareGpuEnv();
  if ('reason' in r) throw new UsageError(`${SOFTWARE_GPU_FLAG}: ${r.reason}`);
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, command, ...args], { stdio: 'inherit', env: r.env });
  return { args, exitCode: child.status ?? 1 };
}
