// Starts and stops one code-server for one test: free port, fresh user-data and extensions dirs, log file.
// The extension under test is passed in (extensionDevelopmentPath), or installed from a VSIX first (installExtensions).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { codeServerEntry, makeTempDir, removeTempDir, safeName, testResultsDir } from './paths';

export interface CodeServerOptions {
  /** Names the log file: test-results/code-server-<name>.log. */
  readonly name?: string;
  /** Folder to open in the workbench. */
  readonly workspaceFolder?: string;
  /** Extension folder (with package.json) loaded as in "Run Extension". */
  readonly extensionDevelopmentPath?: string;
  /** Compiled test runner (exports run()) executed in the extension host; needs extensionDevelopmentPath. */
  readonly extensionTestsPath?: string;
  /** Added to the test user's settings.json. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Extra environment for code-server; the remote extension host inherits it. */
  readonly env?: Readonly<Record<string, string>>;
  /** Workspace trust as users have it (off by default, so the trust dialog does not cover the window). */
  readonly workspaceTrust?: boolean;
  /** VSIX files installed with `code-server --install-extension` into the fresh extensions dir before the server starts. */
  readonly installExtensions?: readonly string[];
  /** Display language (`--locale`, e.g. "zh-cn"); VS Code uses it only when a language pack for it is installed. */
  readonly locale?: string;
  /** Runs after the installs, before the server starts, on the fresh dirs. */
  readonly prepare?: (dirs: { readonly userDataDir: string; readonly extensionsDir: string }) => void;
  /** How long to wait for code-server to answer HTTP (default 60 s). */
  readonly startTimeoutMs?: number;
}

export interface CodeServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** Workbench URL with the folder and the extension-development payload. */
  readonly url: string;
  readonly logFile: string;
  readonly userDataDir: string;
  /** Last lines of the log, for failure messages. */
  logTail(lines?: number): string;
  /** Folder in test-results/ that receives the VS Code logs (extension host, server) on stop(). */
  readonly logsDir: string;
  /** Kills the whole process tree, keeps the VS Code logs, removes the temp dirs. Safe to call twice. */
  stop(): Promise<void>;
}

const baseSettings: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.enableExperiments': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'window.restoreWindows': 'none',
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** vscode-remote:// URI the workbench resolves against the server it was loaded from. */
function remoteUri(authority: string, fsPath: string): string {
  return `vscode-remote://${authority}${path.resolve(fsPath).split(path.sep).map(encodeURIComponent).join('/')}`;
}

export function workbenchUrl(origin: string, options: Pick<CodeServerOptions, 'workspaceFolder' | 'extensionDevelopmentPath' | 'extensionTestsPath'>): string {
  const authority = new URL(origin).host;
  const query = new URLSearchParams();
  if (options.workspaceFolder) query.set('folder', path.resolve(options.workspaceFolder));
  const payload: [string, string][] = [];
  if (options.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remoteUri(authority, options.extensionDevelopmentPath)]);
  if (options.extensionTestsPath) payload.push(['extensionTestsPath', remoteUri(authority, options.extensionTestsPath)]);
  if (payload.length) query.set('payload', JSON.stringify(payload));
  return `${origin}/?${query.toString()}`;
}

const running = new Set<ChildProcess>();
// A test runner that dies (exit, Ctrl+C, SIGTERM from a timeout) must not leave code-servers behind.
process.once('exit', () => {
  for (const child of running) killTree(child, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of running) killTree(child, 'SIGKILL');
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // detached: the pid is the process group of server + extension host + pty host
  } catch {
    /* already gone */
  }
}

async function waitForHttp(origin: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`code-server exited early (${child.exitCode ?? child.signalCode})`);
    try {
      const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`code-server did not answer on ${origin} within ${timeoutMs} ms (${lastError})`);
}

/** Runs `code-server … --install-extension VSIX` with the server's own dirs; throws with its output when it fails. */
function installExtension(serverArgs: readonly string[], vsix: string, log: NodeJS.WritableStream): void {
  const result = spawnSync(process.execPath, [...serverArgs, '--install-extension', path.resolve(vsix)], { encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  log.write(`[harness] --install-extension ${vsix}\n${output}\n`);
  if (result.status !== 0 || !/was successfully installed/.test(output)) {
    throw new Error(`code-server --install-extension ${vsix} failed (${result.status ?? result.signal ?? result.error}):\n${output.trim()}`);
  }
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  // The free port can be taken between freePort() and code-server's bind: try again on another one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

async function startOnce(options: CodeServerOptions): Promise<CodeServer> {
  if (!existsSync(codeServerEntry)) throw new Error(`code-server is not installed; run scripts/setup-test-env.sh (looked for ${codeServerEntry})`);
  if (options.extensionTestsPath && !options.extensionDevelopmentPath) throw new Error('extensionTestsPath needs extensionDevelopmentPath');

  const name = safeName(options.name ?? 'code-server');
  const tempRoot = makeTempDir(`ti-code-server-${name}-`);
  const userDataDir = path.join(tempRoot, 'user-data');
  const extensionsDir = path.join(tempRoot, 'extensions');
  const configFile = path.join(tempRoot, 'config.yaml');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir);
  const trust = options.workspaceTrust ? { 'security.workspace.trust.enabled': true } : {};
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...baseSettings, ...trust, ...options.settings }, null, 2));
  writeFileSync(configFile, ''); // else code-server writes ~/.config/code-server/config.yaml with a password

  const logFile = path.join(testResultsDir(), `code-server-${name}.log`);
  const logsDir = path.join(testResultsDir(), `code-server-${name}-logs`);
  rmSync(logsDir, { recursive: true, force: true });
  const log = createWriteStream(logFile);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const args = [
    codeServerEntry,
    '--config', configFile,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
  ];
  if (options.locale) args.push('--locale', options.locale);
  for (const vsix of options.installExtensions ?? []) installExtension(args, vsix, log);
  options.prepare?.({ userDataDir, extensionsDir });
  if (options.workspaceFolder) args.push(path.resolve(options.workspaceFolder));

  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  running.add(child);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.on('exit', (code, signal) => {
    running.delete(child);
    log.write(`\n[harness] code-server exited (${code ?? signal})\n`);
  });

  let stopped = false;
  const server: CodeServer = {
    port,
    origin,
    url: workbenchUrl(origin, options),
    logFile,
    logsDir,
    userDataDir,
    logTail(lines = 40) {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        killTree(child, 'SIGTERM');
        const timer = setTimeout(() => killTree(child, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      killTree(child, 'SIGKILL'); // stragglers in the group (extension host, pty host) that ignored SIGTERM
      running.delete(child);
      await new Promise<void>((resolve) => log.end(resolve));
      try {
        if (existsSync(path.join(userDataDir, 'logs'))) cpSync(path.join(userDataDir, 'logs'), logsDir, { recursive: true });
      } catch {
        /* logs are a convenience */
      }
      removeTempDir(tempRoot);
    },
  };

  try {
    await waitForHttp(origin, child, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the last log lines land
    const tail = server.logTail(20);
    await server.stop();
    throw new Error(`${(error as Error).message}\n--- ${logFile} ---\n${tail}`);
  }
  return server;
}
