// `npm run package`: one VSIX per platform (vsce --target), each staged in out/vsix/stage/<target>
// with only what the extension runs: production bundles, media, l10n, the bundled model and that platform's onnxruntime.
//
// Usage: node --import tsx scripts/package.ts [--target linux-x64,win32-x64,...] [--gpu-providers]
//   --target         targets to build (default: every target onnxruntime-node has binaries for)
//   --gpu-providers  also ship onnxruntime's CUDA/TensorRT provider libraries where they are installed
// onnxruntime-node and onnxruntime-common go to dist/node_modules/: vsce's own dependency scan would want every
// dependency of onnxruntime-node (its download-only install script's too), and with --no-dependencies it skips a
// top-level node_modules; Node resolves dist/node_modules from the bundles in dist/ all the same.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ZipReader } from './zipReader';

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'out', 'vsix');
const buildDir = path.join(outDir, 'build');

/** vsce target → onnxruntime-node's bin/napi-v6/<os>/<arch>. */
export const TARGETS: Readonly<Record<string, string>> = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
  'darwin-arm64': 'darwin/arm64',
  'darwin-x64': 'darwin/x64',
};

/** Files and folders of the repository that every VSIX carries as they are. */
const SHIPPED = [
  'README.md',
  'README.zh-CN.md',
  'CHANGELOG.md',
  'LICENSE',
  'ThirdPartyNotices.txt',
  'package.nls.json',
  'package.nls.zh-cn.json',
  'media/icon.png',
  'media/panel.css',
  'media/panel.svg',
  'l10n',
  'docs/images',
  'docs/walkthrough',
  'models/en-zh-transformer',
];
const BUNDLES = ['extension.js', 'engineProcess.js', 'webview.js'];
/** Manifest fields for npm and development only. */
const DEVELOPMENT_FIELDS = ['scripts', 'devDependencies', 'dependencies', 'bin'];
const GPU_PROVIDER = /^(lib)?onnxruntime_providers_(cuda|tensorrt|shared)\b/;
const ORT_DYLIB = /^libonnxruntime\..*dylib$/;
/**
 * Targets whose onnxruntime-node is an older release (a devDependency alias) because the project's own ships no
 * binaries for them: 1.23.2 is the last with macOS x64 ones. src/engine/sessionRun.ts covers its differences.
 */
const ORT_PACKAGE_OF: Readonly<Record<string, string>> = { 'darwin-x64': 'onnxruntime-node-darwin-x64' };

const say = (line: string) => console.log(`[package] ${line}`);

function copyTree(from: string, to: string, keep: (file: string) => boolean = () => true): void {
  if (statSync(from).isDirectory()) {
    for (const name of readdirSync(from).sort()) copyTree(path.join(from, name), path.join(to, name), keep);
    return;
  }
  if (!keep(from)) return;
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(from, to);
}

/** The onnxruntime-node package a target ships, and the onnxruntime-common it depends on. */
export function ortPackages(target: string): { node: string; common: string } {
  const node = path.join(root, 'node_modules', ORT_PACKAGE_OF[target] ?? 'onnxruntime-node');
  const nested = path.join(node, 'node_modules', 'onnxruntime-common');
  return { node, common: existsSync(nested) ? nested : path.join(root, 'node_modules', 'onnxruntime-common') };
}

function ortBinaries(target: string): string {
  const { node } = ortPackages(target);
  const folder = path.join(node, 'bin', 'napi-v6', ...TARGETS[target].split('/'));
  if (!existsSync(node)) throw new Error(`${target}: ${path.relative(root, node)} is not installed (run npm install)`);
  if (!existsSync(path.join(folder, 'onnxruntime_binding.node'))) {
    const { version } = JSON.parse(readFileSync(path.join(node, 'package.json'), 'utf8')) as { version: string };
    throw new Error(`${target}: ${path.relative(root, node)} ${version} ships no ${TARGETS[target]} binaries (${path.relative(root, folder)}), so no VSIX can run there`);
  }
  return folder;
}

/** macOS: the one libonnxruntime the binding links (@rpath/…); npm unpacks its other names beside it as copies, not links. */
function linkedDylib(binaries: string): string | undefined {
  return /@rpath\/(libonnxruntime[\w.]*\.dylib)/.exec(readFileSync(path.join(binaries, 'onnxruntime_binding.node')).toString('latin1'))?.[1];
}

function stage(target: string, gpuProviders: boolean): string {
  const dir = path.join(outDir, 'stage', target);
  rmSync(dir, { recursive: true, force: true });
  for (const entry of SHIPPED) copyTree(path.join(root, entry), path.join(dir, entry));
  for (const bundle of BUNDLES) copyTree(path.join(buildDir, bundle), path.join(dir, 'dist', bundle));

  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const field of DEVELOPMENT_FIELDS) delete manifest[field];
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // Everything staged is meant to ship; the file only tells vsce that the selection was made.
  writeFileSync(path.join(dir, '.vscodeignore'), '# staged by scripts/package.ts: every file here ships\n');

  const modules = path.join(dir, 'dist', 'node_modules');
  const { node: ortNode, common: ortCommon } = ortPackages(target);
  const binaries = ortBinaries(target);
  const dylib = linkedDylib(binaries);
  const runtimeJs = (file: string) => file.endsWith('.js') || path.basename(file) === 'package.json';
  copyTree(path.join(ortNode, 'package.json'), path.join(modules, 'onnxruntime-node', 'package.json'));
  copyTree(path.join(ortNode, 'dist'), path.join(modules, 'onnxruntime-node', 'dist'), runtimeJs);
  copyTree(binaries, path.join(modules, 'onnxruntime-node', 'bin', 'napi-v6', ...TARGETS[target].split('/')), (file) => {
    const name = path.basename(file);
    return (!ORT_DYLIB.test(name) || name === dylib) && (gpuProviders || !GPU_PROVIDER.test(name));
  });
  copyTree(path.join(ortCommon, 'package.json'), path.join(modules, 'onnxruntime-common', 'package.json'));
  copyTree(path.join(ortCommon, 'dist', 'cjs'), path.join(modules, 'onnxruntime-common', 'dist', 'cjs'), runtimeJs);
  return dir;
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`${path.basename(args[0] ?? command)} ${args.slice(1).join(' ')} failed (${result.status ?? result.signal ?? result.error})`);
}

export function vsixPath(target: string, version: string): string {
  return path.join(outDir, `transformer-inspector-${target}-${version}.vsix`);
}

function main(): void {
  const { values } = parseArgs({ options: { target: { type: 'string', multiple: true }, 'gpu-providers': { type: 'boolean', default: false } } });
  const requested = values.target?.flatMap((list) => list.split(',')).filter(Boolean);
  for (const target of requested ?? []) if (!(target in TARGETS)) throw new Error(`unknown target ${target}; known: ${Object.keys(TARGETS).join(', ')}`);
  const targets = requested ?? Object.keys(TARGETS).filter((target) => {
    try {
      ortBinaries(target);
      return true;
    } catch (error) {
      say(`skipping ${(error as Error).message}`);
      return false;
    }
  });
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');

  say('production bundles (node esbuild.mjs --production)');
  rmSync(buildDir, { recursive: true, force: true });
  run(process.execPath, [path.join(root, 'esbuild.mjs'), '--production', '--outdir', buildDir], root);

  const built: { target: string; file: string; bytes: number; files: number }[] = [];
  for (const target of targets) {
    const dir = stage(target, values['gpu-providers'] ?? false);
    const file = vsixPath(target, version);
    rmSync(file, { force: true });
    say(`${target}: vsce package --target ${target}`);
    // README images ship in the VSIX and resolve beside it, offline: no links rewritten to a repository host.
    run(process.execPath, [vsce, 'package', '--target', target, '--no-dependencies', '--no-rewrite-relative-links', '--out', file], dir);
    const zip = ZipReader.open(file);
    built.push({ target, file, bytes: statSync(file).size, files: zip.entries.filter((entry) => entry.name.startsWith('extension/')).length });
    zip.close();
  }
  console.log('');
  for (const entry of built) say(`${entry.target.padEnd(13)} ${(entry.bytes / 2 ** 20).toFixed(1).padStart(6)} MiB  ${String(entry.files).padStart(3)} files  ${path.relative(root, entry.file)}`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(`[package] ${(error as Error).message}`);
    process.exit(1);
  }
}
