// The zh-cn language pack of test/integration/languagePack (it translates nothing of VS Code itself): packaged as a
// VSIX with vsce for `code-server --install-extension`, and registered in the user-data dir's languagepacks.json.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, repoRoot } from './paths';

let packaged: string | undefined;

/** The language pack as a VSIX (packaged once per process). */
export function zhCnLanguagePackVsix(): string {
  if (packaged) return packaged;
  const dir = makeTempDir('ti-language-pack-');
  cpSync(path.join(repoRoot, 'test', 'integration', 'languagePack'), dir, { recursive: true });
  const file = path.join(dir, 'test-language-pack-zh-cn.vsix');
  const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  const result = spawnSync(process.execPath, [vsce, 'package', '--skip-license', '--allow-missing-repository', '--no-dependencies', '--out', file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`vsce could not package the test language pack:\n${result.stdout}${result.stderr}`);
  packaged = file;
  return file;
}

interface Localization {
  readonly languageId: string;
  readonly languageName: string;
  readonly localizedLanguageName?: string;
  readonly translations: readonly { readonly id: string; readonly path: string }[];
}

/**
 * Writes languagepacks.json for the language packs in `extensionsDir`, as VS Code's language-pack cache does
 * (src/vs/platform/languagePacks/node/languagePacks.ts). The server writes it when it installs a pack itself;
 * `code-server --install-extension` does not, and the server reads the file to resolve --locale.
 */
export function registerLanguagePacks({ userDataDir, extensionsDir }: { readonly userDataDir: string; readonly extensionsDir: string }): void {
  const packs: Record<string, { hash: string; extensions: { extensionIdentifier: { id: string }; version: string }[]; translations: Record<string, string>; label: string }> = {};
  for (const folder of readdirSync(extensionsDir, { withFileTypes: true }).filter((entry) => entry.isDirectory())) {
    const location = path.join(extensionsDir, folder.name);
    const manifest = JSON.parse(readFileSync(path.join(location, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string; contributes?: { localizations?: Localization[] } };
    for (const localization of manifest.contributes?.localizations ?? []) {
      const id = `${manifest.publisher}.${manifest.name}`.toLowerCase();
      const pack = (packs[localization.languageId] ??= { hash: '', extensions: [], translations: {}, label: localization.localizedLanguageName ?? localization.languageName });
      pack.extensions.push({ extensionIdentifier: { id }, version: manifest.version });
      for (const translation of localization.translations) pack.translations[translation.id] = path.join(location, translation.path);
      pack.hash = createHash('md5').update(id).update(manifest.version).digest('hex');
    }
  }
  writeFileSync(path.join(userDataDir, 'languagepacks.json'), JSON.stringify(packs));
}
