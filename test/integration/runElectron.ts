// `npm run test:electron`: the same extension-host suite (dist/test/suite/index.js) in a desktop VS Code via @vscode/test-electron.
// For machines with a desktop VS Code: set VSCODE_EXECUTABLE_PATH to its binary (e.g. /usr/share/code/code), or let test-electron
// download one where the network allows it (not on the offline project machines: use `npm run test:integration` there).
// On a Linux box without a display, run it under xvfb-run. Options: --extension DIR, --tests FILE, --workspace DIR (as in run.ts).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runTests } from '@vscode/test-electron';
import { copyWorkspace, removeTempDir, repoRoot } from './paths';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { extension: { type: 'string' }, tests: { type: 'string' }, workspace: { type: 'string' } } });
  const extensionDevelopmentPath = path.resolve(values.extension ?? process.env.TI_EXTENSION_PATH ?? repoRoot);
  const extensionTestsPath = path.resolve(values.tests ?? path.join(extensionDevelopmentPath, 'dist', 'test', 'suite', 'index.js'));
  const workspace = copyWorkspace(values.workspace ? path.resolve(values.workspace) : undefined);
  try {
    // runTests resolves with 0 and rejects (TestRunFailedError) when the suite fails; mocha's spec output reaches this terminal.
    return await runTests({
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE_PATH || undefined,
      extensionDevelopmentPath,
      extensionTestsPath,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
  } catch (error) {
    console.error(`[test:electron] ${(error as Error).message ?? error}`);
    return 1;
  } finally {
    removeTempDir(workspace);
  }
}

main().then((code) => process.exit(code));
