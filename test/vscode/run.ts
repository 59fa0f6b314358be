/**
 * The real-VS-Code layer: runs test/vscode/suite/*.test.ts (mocha) inside the extension host of
 * a real VS Code, against the extension INSTALLED from the .vsix that `npm run package` makes
 * (a fresh user-data and extensions folder every run), as a user gets it. The suite runs from
 * a stub "test runner" extension, so MedStudio itself is the installed package, not this folder.
 * MEDSTUDIO_VSCODE_FROM=dev runs the same suite against the development folder instead (faster
 * to iterate: no packaging). Uses @vscode/test-electron where VS Code can be downloaded;
 * otherwise (offline machines, CI here) code-server from the npm registry, driven through
 * Debian's Chromium with the smoke-test driver (../shared/recipes/vscode-host.md). A host that
 * never reports an exit code is a failure, never a pass.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { format } from 'node:util';
import { buildSuite, ROOT } from './buildSuite';
import { runJourney } from './journey';
import { startCluster, whyNoSlurm, type Cluster } from '../slurm/cluster';
import { provisionHost, type HostTools } from './provision';
import { packagedVsix } from './vsix';
import { makeWorkspace } from './workspace';

const NOISE = /ChatModelSelection|AgentHost|AccountPolicyGate|ENOTFOUND|authentication provider|Creating a socket|connection token|reconnection-grace|Service Worker|builtin extensions cache|marketplace|telemetry/i;
const HOST_TIMEOUT_MS = Number(process.env.MEDSTUDIO_VSCODE_TIMEOUT_MS ?? 15 * 60_000);
const summaryFile = process.env.MEDSTUDIO_SUMMARY_FILE ?? path.join(os.tmpdir(), `medstudio-vscode-summary-${process.pid}.json`);
const FROM: 'vsix' | 'dev' = process.env.MEDSTUDIO_VSCODE_FROM === 'dev' ? 'dev' : 'vsix';

/** What the host loads: the extension under development, or a stub runner plus an installed .vsix. */
interface Subject {
  developmentPath: string;
  vsix?: string;
}

/** A stub extension that only hosts the mocha suite, so that MedStudio comes from the .vsix. */
function testRunnerExtension(state: string): string {
  const dir = path.join(state, 'test-runner');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'medstudio-test-runner', publisher: 'medstudio-tests', version: '0.0.0', engines: { vscode: '^1.82.0' } }),
  );
  return dir;
}

function suiteEnv(): Record<string, string> {
  // Where this machine built the native addon, the installed package must load it too.
  const native = fs.existsSync(path.join(ROOT, 'server', 'native', 'build', 'Release', 'medstudio_native.node'));
  return {
    MEDSTUDIO_SUMMARY_FILE: summaryFile,
    MEDSTUDIO_VSCODE_GREP: process.env.MEDSTUDIO_VSCODE_GREP ?? '',
    MEDSTUDIO_VSCODE_FROM: FROM,
    MEDSTUDIO_EXPECT_NATIVE: native ? '1' : '0',
    ...(process.env.MEDSTUDIO_TEST_NO_SLURM ? { MEDSTUDIO_TEST_NO_SLURM: process.env.MEDSTUDIO_TEST_NO_SLURM } : {}),
  };
}

/**
 * The palette's Slurm sweep needs a cluster the extension's server can reach: a one-node test
 * cluster (test/slurm/cluster.ts, root only) whose SLURM_CONF the host, and so the server it
 * starts, inherits. Where it cannot start, the suite is told why and says so.
 */
async function clusterForHost(): Promise<Cluster | undefined> {
  const grep = process.env.MEDSTUDIO_VSCODE_GREP;
  if (grep && !/sweep|slurm/i.test(grep)) return undefined;
  const why = whyNoSlurm();
  try {
    if (why) throw new Error(why);
    const c = await startCluster();
    process.env.SLURM_CONF = c.env.SLURM_CONF;
    process.env.MEDSTUDIO_SLURM_POLL_MS = '500';
    console.log(`a one-node test Slurm cluster is up for the host (${c.dir})`);
    return c;
  } catch (e) {
    process.env.MEDSTUDIO_TEST_NO_SLURM = (e as Error).message;
    console.log(`no test Slurm cluster for the host: ${(e as Error).message}`);
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitHealthy(url: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`code-server exited early with code ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() - t0 > timeoutMs) throw new Error('code-server did not become healthy');
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function tryElectron(suite: string, workspace: string, subject: Subject, state: string): Promise<number | undefined> {
  if (process.env.MEDSTUDIO_VSCODE_HOST === 'code-server') return undefined;
  let te: typeof import('@vscode/test-electron');
  try {
    te = await import('@vscode/test-electron');
  } catch {
    return undefined;
  }
  let executable: string;
  try {
    const dl = te.downloadAndUnzipVSCode({ version: 'stable', timeout: 15_000 });
    executable = await Promise.race([dl, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('download timed out')), 20_000))]);
  } catch (e) {
    console.log(`@vscode/test-electron cannot download VS Code here (${String(e).split('\n')[0]}); using code-server`);
    return undefined;
  }
  const dirs = ['--user-data-dir', path.join(state, 'ud'), '--extensions-dir', path.join(state, 'ext')];
  if (subject.vsix) {
    const [cli, ...cliArgs] = te.resolveCliArgsFromVSCodeExecutablePath(executable);
    const r = spawnSync(cli!, [...cliArgs, ...dirs, '--install-extension', subject.vsix], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`installing ${subject.vsix} into VS Code failed (exit code ${r.status})`);
  }
  try {
    await te.runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: subject.developmentPath,
      extensionTestsPath: suite,
      launchArgs: [workspace, ...dirs, '--disable-workspace-trust', ...(subject.vsix ? [] : ['--disable-extensions'])],
      extensionTestsEnv: suiteEnv(),
    });
    return 0;
  } catch {
    return 1;
  }
}

/** `code-server --install-extension` into the fresh extensions folder, as a user would. */
function installIntoCodeServer(tools: HostTools, env: NodeJS.ProcessEnv, state: string, vsix: string): void {
  const t0 = Date.now();
  const r = spawnSync(tools.codeServer, ['--user-data-dir', path.join(state, 'ud'), '--extensions-dir', path.join(state, 'ext'), '--install-extension', vsix], {
    env,
    encoding: 'utf8',
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) throw new Error(`code-server --install-extension ${vsix} failed (exit code ${r.status}):\n${out}`);
  console.log(`installed ${path.basename(vsix)} (${(fs.statSync(vsix).size / 2 ** 20).toFixed(1)} MB) into a fresh extensions folder in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function runCodeServer(suite: string, workspace: string, subject: Subject, state: string): Promise<number> {
  const tools = provisionHost();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    PATH: `${path.dirname(tools.node)}:${process.env.PATH}`,
    XDG_CONFIG_HOME: path.join(state, 'config'),
    XDG_DATA_HOME: path.join(state, 'data'),
  };
  if (subject.vsix) installIntoCodeServer(tools, env, state, subject.vsix);
  const log = fs.openSync(path.join(state, 'code-server.log'), 'w');
  const proc = spawn(
    tools.codeServer,
    ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
      '--user-data-dir', path.join(state, 'ud'), '--extensions-dir', path.join(state, 'ext'), '--vscode-option', 'enable-smoke-test-driver', workspace],
    { env, detached: true, stdio: ['ignore', log, log] },
  );
  const kill = () => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.on('exit', kill);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await waitHealthy(url, proc, 60_000);
    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(subject.developmentPath)],
      ['extensionTestsPath', remote(suite)],
      ['skipWelcome', 'true'],
      ['extensionEnvironment', JSON.stringify(suiteEnv())],
    ];
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      const line = format(...(Array.isArray(args) ? args : [args]));
      // The workbench logs a lot of offline noise (chat, accounts, marketplace); keep ours.
      if (line.trim() && !NOISE.test(line)) console.log(line);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const timeout = new Promise<number>((r) => setTimeout(() => r(-1), HOST_TIMEOUT_MS));
    const code = await Promise.race([exited, timeout]);
    if (code === -1) {
      console.log(`the VS Code host reported no exit code within ${HOST_TIMEOUT_MS / 1000} s: counted as a failure (log: ${path.join(state, 'code-server.log')})`);
      await page.screenshot({ path: path.join(state, 'timeout.png') }).catch(() => undefined);
      return 1;
    }
    await page.close().catch(() => undefined);
    if (journeyWanted()) await journey(browser, url, subject.vsix ? [] : [['extensionDevelopmentPath', remote(subject.developmentPath)]], state);
    return code;
  } finally {
    await browser.close();
    kill();
  }
}

/** The UI journey runs unless a grep picks other tests (or MEDSTUDIO_VSCODE_JOURNEY=0). */
function journeyWanted(): boolean {
  const grep = process.env.MEDSTUDIO_VSCODE_GREP;
  return process.env.MEDSTUDIO_VSCODE_JOURNEY !== '0' && (!grep || /journey/i.test(grep));
}

/** Runs the UI journey in a fresh window and workspace; it counts as one test in the summary. */
async function journey(browser: import('playwright-core').Browser, url: string, payload: string[][], state: string): Promise<void> {
  console.log('  User journey through the UI (mouse and keyboard)');
  const t0 = Date.now();
  const r = await runJourney(browser, url, payload, makeWorkspace(), state, (s) => console.log(s));
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  if (r.ok) console.log(`    ✔ palette → New Experiment → Train → panel finishes → Explain heatmap → COCO box drawn, undone, saved (${secs} s)`);
  else console.log(`    ✗ the journey stopped after ${r.steps.length} steps: ${r.error} (screenshot: ${r.screenshot})`);
  const s = fs.existsSync(summaryFile) ? (JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as { passed: number; failed: number; skipped: number }) : { passed: 0, failed: 0, skipped: 0 };
  if (r.ok) s.passed++;
  else s.failed++;
  fs.writeFileSync(summaryFile, JSON.stringify(s));
}

async function main(): Promise<void> {
  const suite = await buildSuite();
  const workspace = makeWorkspace();
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-host-'));
  const subject: Subject = FROM === 'dev' ? { developmentPath: ROOT } : { developmentPath: testRunnerExtension(state), vsix: packagedVsix() };
  console.log(`VS Code host tests in workspace ${workspace}, extension ${subject.vsix ? `installed from ${subject.vsix}` : `from the development folder ${ROOT}`}`);
  fs.rmSync(summaryFile, { force: true });
  const cluster = await clusterForHost();
  let code: number;
  try {
    code = (await tryElectron(suite, workspace, subject, state)) ?? (await runCodeServer(suite, workspace, subject, state));
  } finally {
    cluster?.stop();
  }
  if (!fs.existsSync(summaryFile)) fs.writeFileSync(summaryFile, JSON.stringify({ passed: 0, failed: 1, skipped: 0, reason: 'the suite wrote no summary' }));
  const s = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as { passed: number; failed: number };
  console.log(`vscode host: ${s.passed} passed, ${s.failed} failed (exit code ${code})`);
  process.exit(code === 0 && s.failed === 0 ? 0 : 1);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
