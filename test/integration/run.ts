// `npm run test:integration`: installs code-server if needed, runs the extension-host mocha suite in code-server + Chromium,
// then the UI tests (test/integration/ui/*.test.ts, node:test). Exit code 0 only if everything passed; a global timeout ends hung runs.
//
// Options (all optional): --extension DIR   extension under test (default: this repo)
//                         --tests FILE      compiled runner (default: DIR/dist/test/suite/index.js)
//                         --ui-dir DIR      UI tests (default: test/integration/ui)
//                         --workspace DIR   folder copied to a temp dir and opened (default: test/integration/workspace)
//                         --skip-suite / --skip-ui
// Env: TI_INTEGRATION_TIMEOUT_S (whole run, 1800), TI_SUITE_TIMEOUT_S (600), TI_UI_TEST_TIMEOUT_S (per UI test, 300), TI_MOCHA_GREP.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Workbench } from './browser';
import { startCodeServer, type CodeServer } from './codeServer';
import { copyWorkspace, removeTempDir, repoRoot, testResultsDir } from './paths';

const seconds = (name: string, fallback: number) => (Number(process.env[name]) || fallback) * 1000;
const startedAt = Date.now();
const elapsed = (since = startedAt) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
const say = (line: string) => console.log(`[integration] ${line}`);
/** Path relative to the cwd when inside it, else absolute. */
const show = (file: string) => (path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file) || '.');

interface PhaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Prints lines appended to `file` as they arrive (the extension host writes its results there). */
function tailFile(file: string, onLine: (line: string) => void): { flush(): void; stop(): void } {
  let offset = 0;
  let partial = '';
  const flush = () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fd = openSync(file, 'r');
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    closeSync(fd);
    offset = size;
    const lines = (partial + buffer.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
  const timer = setInterval(flush, 250);
  let stopped = false;
  return {
    flush,
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      flush();
      if (partial) onLine(partial);
    },
  };
}

/** Pids of `pid` and all its descendants, from /proc (no procps needed). */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

function signalTree(pids: number[], signal: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      /* gone */
    }
  }
}

/** SIGTERM first (test files then stop their code-servers and remove temp dirs), SIGKILL what is left after `graceMs`. */
async function killProcessTree(pid: number, graceMs = 5000): Promise<void> {
  signalTree(processTree(pid).reverse(), 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && processTree(pid).some((p) => existsSync(`/proc/${p}`))) await new Promise((r) => setTimeout(r, 200));
  signalTree(processTree(pid).reverse(), 'SIGKILL');
}

function timeout(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}

async function runExtensionHostSuite(extension: string, testsIndex: string, workspaceSource: string, results: string, budgetMs: number): Promise<PhaseResult> {
  const name = 'extension-host suite';
  const started = Date.now();
  const resultsFile = path.join(results, 'extension-host-results.txt');
  writeFileSync(resultsFile, '');
  say(`${name}: ${show(testsIndex)} in code-server (extension ${show(extension)})`);

  const workspace = copyWorkspace(workspaceSource);
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  const tail = tailFile(resultsFile, (line) => console.log(`  ${line}`));
  const consoleErrors: string[] = [];
  try {
    server = await startCodeServer({
      name: 'extension-host-suite',
      workspaceFolder: workspace,
      extensionDevelopmentPath: extension,
      extensionTestsPath: testsIndex,
      env: { TI_TEST_RESULTS: resultsFile },
    });
    say(`code-server up on ${server.origin} (${elapsed(started)})`);
    let reportExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (reportExit = resolve));
    workbench = await Workbench.open(server.url, {
      name: 'extension-host-suite',
      onExit: (code) => reportExit(code),
      onConsole: (line) => {
        // 404s (vsda) and DNS failures (open-vsx.org) are normal offline noise.
        if (/^\[(error|pageerror|crash)\]/.test(line) && !/Failed to load resource/.test(line)) consoleErrors.push(line);
      },
    });
    say(`workbench ready (${elapsed(started)}); running tests`);
    const outcome = await Promise.race([exited, timeout(Math.min(seconds('TI_SUITE_TIMEOUT_S', 600), budgetMs - (Date.now() - started)))]);
    tail.stop();
    if (outcome !== 0) await workbench.screenshot('end').catch(() => undefined);
    if (outcome === 'timeout') return { name, ok: false, detail: `timed out after ${elapsed(started)}` };
    const printed = readFileSync(resultsFile, 'utf8').trim();
    // The workbench reports 0 also when the extension host died mid-run (seen with SIGKILL): trust only mocha's own summary.
    const summary = /^# passed (\d+), failed (\d+)/m.exec(printed);
    if (outcome === 0 && (!summary || summary[2] !== '0')) {
      console.log(`  the workbench reported exit code 0 but the test runner did not finish (extension host crash?)`);
      console.log(`  last code-server log lines:\n${server.logTail(6).replace(/^/gm, '    ')}`);
      return { name, ok: false, detail: `no complete results from the extension host (${elapsed(started)})` };
    }
    if (summary) say(`${name}: ${summary[1]} passed, ${summary[2]} failed`);
    if (outcome !== 0 && printed.split('\n').length <= 1) {
      // Nothing from mocha: the runner did not load (bad path, build error, activation failure). Show what we have.
      console.log(`  no test results; last browser console errors:\n${consoleErrors.slice(-15).map((l) => `    ${l}`).join('\n')}`);
      console.log(`  last code-server log lines:\n${server.logTail(12).replace(/^/gm, '    ')}`);
    }
    return { name, ok: outcome === 0, detail: `exit code ${outcome} (${elapsed(started)})` };
  } catch (error) {
    return { name, ok: false, detail: `harness error: ${(error as Error).stack ?? error}` };
  } finally {
    tail.stop();
    await workbench?.close();
    await server?.stop();
    removeTempDir(workspace);
  }
}

async function runUiTests(extension: string, uiDir: string, results: string, budgetMs: number): Promise<PhaseResult> {
  const name = 'UI tests';
  const started = Date.now();
  const files = existsSync(uiDir) ? readdirSync(uiDir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join(uiDir, f)) : [];
  if (files.length === 0) {
    say(`${name}: none in ${show(uiDir)}`);
    return { name, ok: true, detail: 'no UI tests' };
  }
  say(`${name}: ${files.length} file(s) in ${show(uiDir)}`);
  const args = [
    '--import', 'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=1', // each file starts code-server + Chromium: one at a time on small CI machines
    `--test-timeout=${seconds('TI_UI_TEST_TIMEOUT_S', 300)}`,
    ...files,
  ];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, TI_EXTENSION_PATH: extension, TI_TEST_RESULTS_DIR: results },
  });
  const code = await Promise.race([
    new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)))),
    timeout(budgetMs),
  ]);
  if (code === 'timeout') {
    if (child.pid) await killProcessTree(child.pid); // the test files' code-servers and browsers are descendants
    return { name, ok: false, detail: `timed out after ${elapsed(started)}` };
  }
  return { name, ok: code === 0, detail: `exit code ${code} (${elapsed(started)})` };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      extension: { type: 'string' },
      tests: { type: 'string' },
      'ui-dir': { type: 'string' },
      workspace: { type: 'string' },
      'skip-suite': { type: 'boolean', default: false },
      'skip-ui': { type: 'boolean', default: false },
    },
  });
  const extension = path.resolve(values.extension ?? process.env.TI_EXTENSION_PATH ?? repoRoot);
  const testsIndex = path.resolve(values.tests ?? path.join(extension, 'dist', 'test', 'suite', 'index.js'));
  const uiDir = path.resolve(values['ui-dir'] ?? path.join(repoRoot, 'test', 'integration', 'ui'));
  const workspaceSource = path.resolve(values.workspace ?? path.join(repoRoot, 'test', 'integration', 'workspace'));
  const results = testResultsDir();
  const deadline = startedAt + seconds('TI_INTEGRATION_TIMEOUT_S', 1800);

  say('setting up (scripts/setup-test-env.sh)');
  const setup = spawnSync('bash', [path.join(repoRoot, 'scripts', 'setup-test-env.sh')], { stdio: 'inherit', timeout: Math.max(1000, deadline - Date.now()) });
  if (setup.status !== 0) {
    say(`setup failed (${setup.status ?? setup.signal ?? setup.error}); see its output above`);
    return 1;
  }

  const manifest = JSON.parse(readFileSync(path.join(extension, 'package.json'), 'utf8')) as { main?: string };
  const required = [...(manifest.main ? [path.resolve(extension, manifest.main)] : []), ...(values['skip-suite'] ? [] : [testsIndex])];
  const missing = required.filter((f) => !existsSync(f) && !existsSync(`${f}.js`));
  if (missing.length) {
    say(`build output missing: ${missing.map((f) => path.relative(extension, f)).join(', ')}`);
    say(`run \`npm run build\` first (in ${extension})`);
    return 1;
  }

  const phases: PhaseResult[] = [];
  if (!values['skip-suite']) phases.push(await runExtensionHostSuite(extension, testsIndex, workspaceSource, results, Math.max(1000, deadline - Date.now())));
  if (!values['skip-ui']) phases.push(await runUiTests(extension, uiDir, results, Math.max(1000, deadline - Date.now())));

  console.log('');
  for (const phase of phases) say(`${phase.ok ? 'PASS' : 'FAIL'}  ${phase.name}: ${phase.detail}`);
  say(`total ${elapsed()}; logs and screenshots in ${show(results)}/`);
  return phases.every((p) => p.ok) ? 0 : 1;
}

// Last line of defence against a hang in CI: end the run (code-servers are killed by codeServer.ts's exit hook).
const watchdog = setTimeout(() => {
  say(`whole run exceeded ${seconds('TI_INTEGRATION_TIMEOUT_S', 1800) / 1000}s; aborting`);
  signalTree(processTree(process.pid).reverse(), 'SIGKILL');
}, seconds('TI_INTEGRATION_TIMEOUT_S', 1800) + 30_000);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
