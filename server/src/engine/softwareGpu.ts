/**
 * WebGPU on the CPU: Chromium's SwiftShader (a complete Vulkan implementation) lets Dawn run
 * the webgpu backend on any machine, which is how CI checks it without a GPU. It is slow, so it
 * is never picked by `auto`: only tests and an explicit `--software-gpu` use it
 * (../shared/recipes/webgpu.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Set to '1' in a process allowed to train on a software adapter (by `--software-gpu` or a test). */
export const SOFTWARE_GPU_ENV = 'MEDSTUDIO_WEBGPU_SOFTWARE';

/** Where Debian's chromium package puts SwiftShader's ICD and its Vulkan loader. */
const DEFAULT_DIR = '/usr/lib/chromium';

export interface AdapterIdentity {
  vendor: string;
  architecture: string;
  description: string;
  /** Dawn's own flag for a CPU adapter, where it sets one. */
  isFallbackAdapter?: boolean;
}

/** SwiftShader, Mesa's llvmpipe/lavapipe and Dawn's fallback adapters run on the CPU. */
export function isSoftwareAdapter(a: AdapterIdentity): boolean {
  if (a.isFallbackAdapter) return true;
  return /swiftshader|llvmpipe|lavapipe|softpipe/i.test(`${a.vendor} ${a.architecture} ${a.description}`);
}

export function softwareGpuAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SOFTWARE_GPU_ENV] === '1';
}

/**
 * The environment a child process needs to see SwiftShader as its WebGPU adapter. The Vulkan
 * loader is found through LD_LIBRARY_PATH, which the dynamic linker reads only at process start:
 * hence a child, never a change to this process's environment.
 */
export function softwareGpuEnv(base: NodeJS.ProcessEnv = process.env): { env: NodeJS.ProcessEnv } | { reason: string } {
  const dir = base.MEDSTUDIO_SWIFTSHADER_DIR ?? DEFAULT_DIR;
  const icd = path.join(dir, 'vk_swiftshader_icd.json');
  if (!fs.existsSync(icd) || !fs.existsSync(path.join(dir, 'libvulkan.so.1'))) {
    return { reason: `SwiftShader's Vulkan driver was not found in ${dir} (install Debian's 'chromium' package, or set MEDSTUDIO_SWIFTSHADER_DIR)` };
  }
  return {
    env: {
      ...base,
      LD_LIBRARY_PATH: [dir, base.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      VK_ICD_FILENAMES: icd,
      [SOFTWARE_GPU_ENV]: '1',
    },
  };
}
