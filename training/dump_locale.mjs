// Prints one JavaScript locale module's messages as flat JSON {"a.b.c": "text"}, for npm_sources.py.
// usage: node training/dump_locale.mjs FILE.js [EXPORT]   (EXPORT: a named export; default: the default one)
// The bundles are built JavaScript (ESM or CommonJS), so Node reads them rather than a regex.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [file, exportName] = process.argv.slice(2);
const abs = path.resolve(file);
const mod = abs.endsWith('.cjs.js') || abs.endsWith('.cjs')
  ? createRequire(import.meta.url)(abs)
  : await import(pathToFileURL(abs).href);
const messages = exportName ? mod[exportName] : (mod.default ?? mod);
if (!messages || typeof messages !== 'object') {
  console.error(`dump_locale: ${file} has no export ${exportName ?? 'default'}`);
  process.exit(1);
}

const flat = {};
(function walk(obj, prefix) {
  for (const [key, value] of Object.entries(obj)) {
    if (typeof value === 'string') flat[prefix + key] = value;
    else if (value && typeof value === 'object') walk(value, `${prefix}${key}.`);
  }
})(messages, '');
process.stdout.write(JSON.stringify(flat));
