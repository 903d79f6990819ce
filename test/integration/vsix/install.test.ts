// The linux-x64 VSIX as a user installs it: `code-server --install-extension` into an empty extensions
// dir, then, with no development copy loaded, Inspect Selection on the bundled model and a hover translation.

import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { vsixPath } from '../../../scripts/package';
import { Workbench } from '../browser';
import { startCodeServer, type CodeServer } from '../codeServer';
import { bundledModelShape, copyWorkspace, removeTempDir, repoRoot } from '../paths';

const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const VSIX = process.env.TI_VSIX || vsixPath('linux-x64', version);
const SIGNATURE = /Transformer Inspector/;
let server: CodeServer;
let workbench: Workbench;
let workspace: string;

before(async () => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package -- --target linux-x64\` first`);
  workspace = copyWorkspace();
  server = await startCodeServer({ name: 'vsix-install', workspaceFolder: workspace, installExtensions: [VSIX], settings: { 'editor.hover.delay': 200 } });
  workbench = await Workbench.open(server.url, { name: 'vsix-install' });
});
after(async () => {
  await workbench?.screenshot('final').catch(() => undefined);
  await workbench?.close();
  await server?.stop();
  if (workspace) removeTempDir(workspace);
});

test('--install-extension unpacks the VSIX into the empty extensions dir, with linux-x64 onnxruntime only', () => {
  const extensionsDir = path.join(path.dirname(server.userDataDir), 'extensions');
  const installed = readdirSync(extensionsDir).filter((name) => name.startsWith('transformer-inspector.'));
  assert.deepEqual(installed, [`transformer-inspector.transformer-inspector-${version}`]);
  const napi = path.join(extensionsDir, installed[0], 'dist', 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  assert.deepEqual(readdirSync(napi), ['linux']);
  assert.deepEqual(readdirSync(path.join(napi, 'linux')), ['x64']);
  assert.deepEqual(readdirSync(path.join(napi, 'linux', 'x64')).sort(), ['libonnxruntime.so.1', 'onnxruntime_binding.node']);
});

test('Inspect Selection runs the bundled model from the installed VSIX and shows the model view', async () => {
  await workbench.openFile('notes.md');
  await workbench.goToLine(3, 1);
  await workbench.runCommand('Transformer Inspector: Inspect Selection', 60_000);
  const frame = await workbench.webviewFrameLocator('Transformer Inspector', 60_000);
  await frame.locator('#app[data-view="model"]').waitFor({ timeout: 120_000 });
  assert.equal(await frame.locator('h1').textContent(), 'en-zh-transformer');
  const tokens = await frame.locator('.token-strip[data-stack="encoder"] .token').allTextContents();
  assert.match(tokens.join('').replace(/[\s␣▁]/g, ''), /ATransformerencoderreads/);
  // The bundled model's encoder: its layers × heads (config.json), one cell each.
  const shape = bundledModelShape();
  assert.equal(await frame.locator('rect.model-cell').count(), shape.encoderLayers * shape.heads);
  await workbench.page.locator('.statusbar-item', { hasText: 'en-zh-transformer · CPU' }).waitFor({ timeout: 30_000 });
  await workbench.screenshot('model-view');
});

test('hovering the Chinese comment shows its English translation from the installed VSIX', async () => {
  await workbench.openFile('sample.ts');
  const text = await workbench.hoverAt(2, 8, { expect: SIGNATURE, timeoutMs: 120_000 });
  const translation = text.split('\n')[0];
  assert.match(translation, /[A-Za-z]{2,}/, `an English translation: ${text}`);
  assert.doesNotMatch(translation, /\p{Script=Han}/u);
  assert.match(text, /←/, 'the word alignment is shown');
  await workbench.screenshot('hover');
});
