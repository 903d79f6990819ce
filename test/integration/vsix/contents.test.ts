// What each VSIX of `npm run package` holds, read from its zip directory: exactly the manifest, the bundles,
// media, l10n, README images, the bundled model and its own platform's onnxruntime, and nothing else.

import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ortPackages, vsixPath } from '../../../scripts/package';
import { ZipReader } from '../../../scripts/zipReader';
import { repoRoot } from '../paths';

const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** onnxruntime-node's files per target (macOS: the one name the binding links); darwin-x64 carries 1.23.2, the others 1.30.0. */
const ORT_BINARIES: Record<string, { folder: string; files: string[] }> = {
  'linux-x64': { folder: 'linux/x64', files: ['libonnxruntime.so.1', 'onnxruntime_binding.node'] },
  'linux-arm64': { folder: 'linux/arm64', files: ['libonnxruntime.so.1', 'onnxruntime_binding.node'] },
  'win32-x64': { folder: 'win32/x64', files: ['DirectML.dll', 'dxcompiler.dll', 'dxil.dll', 'onnxruntime.dll', 'onnxruntime_binding.node'] },
  'win32-arm64': { folder: 'win32/arm64', files: ['DirectML.dll', 'dxcompiler.dll', 'dxil.dll', 'onnxruntime.dll', 'onnxruntime_binding.node'] },
  'darwin-arm64': { folder: 'darwin/arm64', files: ['libonnxruntime.1.dylib', 'onnxruntime_binding.node'] },
  'darwin-x64': { folder: 'darwin/x64', files: ['libonnxruntime.1.23.2.dylib', 'onnxruntime_binding.node'] },
};
const ORT_VERSION: Record<string, string> = { 'darwin-x64': '1.23.2' };
/** Largest VSIX we accept: the model (~150 MB) and onnxruntime (~45-90 MB) compressed; Open VSX takes up to 256 MB. */
const MAX_BYTES = 200 * 2 ** 20;

function filesUnder(relative: string, keep: (name: string) => boolean = () => true): string[] {
  const dir = path.join(repoRoot, relative);
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const child = `${relative}/${entry.name}`;
    if (entry.isDirectory()) return filesUnder(child, keep);
    return keep(entry.name) ? [child] : [];
  });
}

/** The runtime JavaScript of an installed package, as the VSIX holds it under dist/node_modules/<name>/. */
function shippedJs(packageDir: string, under: string, name: string): string[] {
  const runtimeJs = (file: string) => file.endsWith('.js') || file === 'package.json';
  const relative = path.relative(repoRoot, packageDir);
  return filesUnder(`${relative}/${under}`, runtimeJs).map((file) => `dist/node_modules/${name}/${file.slice(relative.length + 1)}`);
}

function expectedEntries(target: string): string[] {
  const { folder, files } = ORT_BINARIES[target];
  const ort = ortPackages(target);
  const extensionFiles = [
    'LICENSE.txt',
    'ThirdPartyNotices.txt',
    'changelog.md',
    'readme.md',
    'README.zh-CN.md',
    'package.json',
    'package.nls.json',
    'package.nls.zh-cn.json',
    'dist/extension.js',
    'dist/engineProcess.js',
    'dist/webview.js',
    'media/icon.png',
    'media/panel.css',
    'media/panel.svg',
    ...filesUnder('l10n'),
    ...filesUnder('docs/images'),
    ...filesUnder('docs/walkthrough'),
    ...filesUnder('models/en-zh-transformer'),
    'dist/node_modules/onnxruntime-node/package.json',
    ...shippedJs(ort.node, 'dist', 'onnxruntime-node'),
    ...files.map((file) => `dist/node_modules/onnxruntime-node/bin/napi-v6/${folder}/${file}`),
    'dist/node_modules/onnxruntime-common/package.json',
    ...shippedJs(ort.common, 'dist/cjs', 'onnxruntime-common'),
  ];
  return ['[Content_Types].xml', 'extension.vsixmanifest', ...extensionFiles.map((file) => `extension/${file}`)].sort();
}

for (const target of Object.keys(ORT_BINARIES)) {
  test(`${target}: the VSIX holds exactly what the extension runs, with ${target}'s onnxruntime only`, () => {
    const file = vsixPath(target, version);
    assert.ok(existsSync(file), `${file} is missing: run \`npm run package\` first`);
    const zip = ZipReader.open(file);
    try {
      const names = zip.entries.map((entry) => entry.name).sort();
      assert.deepEqual(names, expectedEntries(target));
      for (const name of ['onnxruntime-node', 'onnxruntime-common']) {
        const shipped = JSON.parse(zip.read(`extension/dist/node_modules/${name}/package.json`).toString('utf8')) as { version: string };
        assert.equal(shipped.version, ORT_VERSION[target] ?? '1.30.0', `${target} ships ${name} ${shipped.version}`);
      }

      const vsixManifest = zip.read('extension.vsixmanifest').toString('utf8');
      assert.match(vsixManifest, new RegExp(`TargetPlatform="${target}"`));
      const manifest = JSON.parse(zip.read('extension/package.json').toString('utf8')) as Record<string, unknown>;
      for (const field of ['scripts', 'devDependencies', 'dependencies', 'bin']) assert.equal(manifest[field], undefined, `package.json keeps ${field}`);
      assert.equal(manifest.main, './dist/extension.js');
      assert.equal(manifest.icon, 'media/icon.png');
      assert.deepEqual(manifest.extensionKind, ['workspace']);
      assert.ok(!(manifest.activationEvents as string[]).includes('*'));

      // The bundled model arrives byte for byte (sizes from the directory; the tokenizer read back and CRC-checked).
      for (const model of filesUnder('models/en-zh-transformer')) {
        assert.equal(zip.entry(`extension/${model}`)?.size, statSync(path.join(repoRoot, model)).size, model);
      }
      assert.ok(zip.read('extension/models/en-zh-transformer/tokenizer.json').equals(readFileSync(path.join(repoRoot, 'models/en-zh-transformer/tokenizer.json'))));
      // Production bundles: minified, no source maps beside them.
      assert.doesNotMatch(zip.read('extension/dist/extension.js').toString('utf8'), /sourceMappingURL/);
      const bytes = statSync(file).size;
      assert.ok(bytes < MAX_BYTES, `${target}: ${(bytes / 2 ** 20).toFixed(1)} MiB`);
      console.log(`# ${target}: ${(bytes / 2 ** 20).toFixed(1)} MiB, ${names.filter((name) => name.startsWith('extension/')).length} files`);
    } finally {
      zip.close();
    }
  });
}
