// Where the model that ships with the extension lives: models/<name> in the package root,
// found from this file's location whether it runs bundled (dist/) or from source (src/engine/).

import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const BUNDLED_MODEL_NAME = 'en-zh-transformer';

export function packageRoot(start = __dirname): string | undefined {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'transformer-inspector') return dir;
      } catch {
        // Not our manifest; keep looking upwards.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The bundled model folder, or undefined when this installation lacks it. */
export function bundledModelPath(): string | undefined {
  const root = packageRoot();
  const folder = root && path.join(root, 'models', BUNDLED_MODEL_NAME);
  return folder && existsSync(path.join(folder, 'config.json')) ? folder : undefined;
}
