#!/usr/bin/env node
// `npm run setup` (the README's first command, before `npm run demo`): everything a user needs,
// system packages included. On Debian/Ubuntu it installs, as root or through sudo, what `npm ci`
// and `npm test` need from the system: oneDNN's headers and the build tools (before `npm ci`,
// which builds MedStudio's native kernels with them), Chromium (webview and VS Code host
// tests), krb5 headers and pkg-config (code-server's native modules, which `npm test`
// provisions). Where it cannot install them it stops and prints the one command to run.
// Then it runs `npm ci`. Needs nothing but Node (no node_modules yet).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const t0 = Date.now();

/** Debian packages, and how to tell each is there. */
const NEEDED = [
  { pkg: 'libdnnl-dev', why: 'native oneDNN kernels (3-10x faster CPU training)' },
  { pkg: 'g++', why: 'building the native kernels' },
  { pkg: 'make', why: 'building the native kernels' },
  { pkg: 'python3', why: 'node-gyp' },
  { pkg: 'pkg-config', why: 'code-server (npm test)' },
  { pkg: 'libkrb5-dev', why: 'code-server (npm test)' },
  { pkg: 'chromium', why: 'webview and VS Code host tests' },
  { pkg: 'slurm-wlm', why: 'the Slurm test layer (a one-node cluster started by npm test)' },
  { pkg: 'munge', why: 'the Slurm test layer' },
];

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** The environment for nested npm: none of an outer npm's npm_* variables (see test/vscode/provision.ts). */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function run(cmd, args) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...cleanEnv(), DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    console.error(`medstudio setup: '${cmd} ${args.join(' ')}' failed (exit code ${r.status})`);
    process.exit(1);
  }
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`medstudio setup: Node ${process.versions.node} is too old; MedStudio needs Node 20 or newer.`);
  process.exit(1);
}

if (process.platform === 'linux' && has('apt-get') && has('dpkg-query')) {
  const missing = NEEDED.filter((n) => !installed(n.pkg));
  if (missing.length) {
    const names = missing.map((n) => n.pkg);
    console.log(`medstudio setup: system packages to install: ${missing.map((n) => `${n.pkg} (${n.why})`).join(', ')}`);
    const root_ = process.getuid?.() === 0;
    const sudo = !root_ && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
    if (!root_ && !sudo) {
      console.error(`\nmedstudio setup: installing system packages needs root. Run this one command, then 'npm run setup' again:\n\n  sudo apt-get update && sudo apt-get install -y ${names.join(' ')}\n`);
      process.exit(1);
    }
    const pre = sudo ? ['sudo', '-n'] : [];
    const apt = (args) => (pre.length ? run(pre[0], [...pre.slice(1), 'apt-get', ...args]) : run('apt-get', args));
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', ...names]);
  } else {
    console.log('medstudio setup: system packages present (oneDNN, build tools, Chromium, krb5, pkg-config)');
  }
} else {
  console.log(
    'medstudio setup: not Debian/Ubuntu, so no system packages are installed. Without oneDNN headers the native kernels are skipped ' +
      '(the wasm kernels are used); `npm test` needs Chromium (CHROMIUM_PATH) and code-server\'s build prerequisites.',
  );
}

run('npm', ['ci', '--no-audit', '--no-fund']);
const native = fs.existsSync(path.join(root, 'server', 'native', 'build', 'Release', 'medstudio_native.node'));
console.log(`medstudio setup: done in ${((Date.now() - t0) / 1000).toFixed(0)} s; native kernels ${native ? 'built' : 'not built (see server/native/build-skipped.txt)'}`);
