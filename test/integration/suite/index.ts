// Test runner loaded by VS Code inside the extension host (extensionTestsPath): runs every *.test.js next to it with mocha (TDD UI: suite/test).
// The remote extension host's stdout does not reach the terminal, so when TI_TEST_RESULTS names a file (run.ts sets it) each result is appended there as a line, and run.ts prints the file as it grows.
import { appendFileSync, readdirSync } from 'node:fs';
import { findSourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import Mocha from 'mocha';

/** One line per event, appended synchronously so nothing is lost if the host exits right after. */
function resultsWriter(file: string | undefined): (line: string) => void {
  if (!file) return () => undefined;
  return (line) => {
    try {
      appendFileSync(file, `${line}\n`);
    } catch {
      /* results file is a convenience; the exit code still reports failure */
    }
  };
}

/**
 * Rewrites `file.js:line:col` frames to the .ts source. Node's own mapping (--enable-source-maps) does not show here because
 * the extension host installs its own Error.prepareStackTrace; the maps are still loaded, so look them up ourselves.
 */
function mapStack(stack: string): string {
  // Mocha has already made paths under the cwd relative; resolve them back.
  return stack.replace(/([^\s():]+\.js):(\d+):(\d+)/g, (frame, jsFile: string, line: string, column: string) => {
    try {
      const file = path.resolve(jsFile);
      const entry = findSourceMap(file)?.findEntry(Number(line) - 1, Number(column) - 1);
      if (!entry || !('originalSource' in entry)) return frame;
      const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
      const shown = path.relative(process.cwd(), source).startsWith('..') ? source : path.relative(process.cwd(), source);
      return `${shown}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    } catch {
      return frame;
    }
  });
}

function indent(text: string, prefix: string): string {
  return text.split('\n').map((l) => prefix + l).join('\n');
}

export function run(): Promise<void> {
  process.setSourceMapsEnabled(true); // loads the .js.map of each test file as mocha requires it; see mapStack
  const resultsFile = process.env.TI_TEST_RESULTS;
  const toFile = resultsWriter(resultsFile);
  // With a results file (code-server) our lines also go to the console, which ends up in the browser log; without one
  // (test-electron) mocha's spec reporter prints to the terminal itself.
  const write = resultsFile ? (line: string) => (toFile(line), console.log(line)) : toFile;
  const mocha = new Mocha({
    ui: 'tdd',
    reporter: resultsFile ? Mocha.reporters.Base : 'spec',
    color: false,
    timeout: Number(process.env.TI_MOCHA_TIMEOUT_MS) || 60_000,
    grep: process.env.TI_MOCHA_GREP || undefined,
  });
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  for (const file of files) mocha.addFile(path.join(__dirname, file));
  write(`# extension-host suite: ${files.length} test file(s) in ${__dirname}`);

  return new Promise<void>((resolve, reject) => {
    let runner: Mocha.Runner;
    try {
      runner = mocha.run((failures) => {
        const stats = runner.stats;
        write(`# passed ${stats?.passes ?? 0}, failed ${failures}, pending ${stats?.pending ?? 0} (${stats?.duration ?? 0} ms)`);
        if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
        else resolve();
      });
    } catch (error) {
      // A test file that throws while loading lands here, before any test runs.
      write(`not ok - loading tests\n${indent(String((error as Error)?.stack ?? error), '    ')}`);
      reject(error);
      return;
    }
    const depth = (test: Mocha.Runnable | Mocha.Suite) => '  '.repeat(Math.max(0, test.titlePath().length - 1));
    runner.on(Mocha.Runner.constants.EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (!suite.root) write(`${depth(suite)}${suite.title}`);
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test: Mocha.Test) => write(`${depth(test)}ok - ${test.title} (${test.duration ?? 0} ms)`));
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (test: Mocha.Test) => write(`${depth(test)}skip - ${test.title}`));
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test: Mocha.Runnable, error: Error) => {
      write(`${depth(test)}not ok - ${test.fullTitle()}`);
      write(indent(mapStack(String(error?.stack || error?.message || error)), `${depth(test)}    `));
    });
  });
}
