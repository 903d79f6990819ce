// Where the harness finds things: repo root, the extension under test, test-results/, the sample workspace.
// The extension path is a parameter (env TI_EXTENSION_PATH) so the same harness can drive any extension.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');

/** The bundled model's layers and heads (its config.json), so tests follow the model that ships. */
export function bundledModelShape(): { encoderLayers: number; decoderLayers: number; heads: number } {
  const config = JSON.parse(readFileSync(path.join(repoRoot, 'models', 'en-zh-transformer', 'config.json'), 'utf8')) as Record<string, number>;
  return { encoderLayers: config.encoder_layers, decoderLayers: config.decoder_layers, heads: config.encoder_attention_heads };
}

/** code-server as installed by scripts/setup-test-env.sh. */
export const codeServerEntry = path.join(repoRoot, '.tools', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** The extension under test: TI_EXTENSION_PATH when set (run.ts sets it for UI tests), else this repo. */
export function extensionPath(): string {
  return path.resolve(process.env.TI_EXTENSION_PATH || repoRoot);
}

/** Screenshots, logs and results go here (gitignored); TI_TEST_RESULTS_DIR overrides. */
export function testResultsDir(): string {
  const dir = path.resolve(process.env.TI_TEST_RESULTS_DIR || path.join(repoRoot, 'test-results'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

const tempDirs = new Set<string>();
let exitHookInstalled = false;

/** A new temp folder that is removed on process exit (Ctrl+C, timeout) unless removeTempDir() came first. */
export function makeTempDir(prefix: string): string {
  // Registered on first use, i.e. after codeServer.ts's exit hook: servers die before their folders go.
  if (!exitHookInstalled) process.once('exit', () => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  exitHookInstalled = true;
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  tempDirs.delete(dir);
}

/** A fresh copy of test/integration/workspace (or `source`) in a temp folder, so tests may edit it. */
export function copyWorkspace(source = path.join(repoRoot, 'test', 'integration', 'workspace')): string {
  const dir = makeTempDir('ti-workspace-');
  cpSync(source, dir, { recursive: true });
  return dir;
}

/** File-name-safe form of a test or run name. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'run';
}
