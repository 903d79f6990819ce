// Bundles the four programs: extension host, engine process, CLI (node) and the webview (browser).
// `vscode` and `onnxruntime-node` stay external: one is provided by the host, the other is native.
// `--production` (what `npm run package` ships) minifies, drops source maps and the test suite; `--outdir DIR` writes there instead of dist/.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const outdirFlag = process.argv.indexOf('--outdir');
const outRoot = outdirFlag >= 0 ? process.argv[outdirFlag + 1] : 'dist';

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode', 'onnxruntime-node', 'mocha', 'playwright-core'],
  logLevel: 'warning',
};

const integrationTests = readdirSync('test/integration/suite')
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/integration/suite/${f}`);

const builds = [
  { ...nodeCommon, entryPoints: { extension: 'src/extension.ts' }, outdir: outRoot },
  { ...nodeCommon, entryPoints: { engineProcess: 'src/engine/engineProcess.ts' }, outdir: outRoot },
  { ...nodeCommon, entryPoints: { cli: 'src/cli/main.ts' }, outdir: outRoot },
  ...(production
    ? []
    : [{ ...nodeCommon, entryPoints: ['test/integration/suite/index.ts', ...integrationTests], outdir: `${outRoot}/test/suite` }]),
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    // webview: the VS Code panel; report: the same views in a standalone offline HTML page.
    entryPoints: { webview: 'webview/main.ts', ...(existsSync('webview/reportMain.ts') ? { report: 'webview/reportMain.ts' } : {}) },
    outdir: outRoot,
    logLevel: 'warning',
  },
];

if (watch) {
  for (const options of builds) (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
