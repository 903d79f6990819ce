// Which files of a Hub repository the engine needs: the configs, the tokenizer and the ONNX files of
// one weight variant (by modelFolder's own rules) with their external data — nothing else.

import * as path from 'node:path';
import { ModelVariant, pickOnnxFiles } from '../engine/modelFolder';
import { HubError } from './hubError';
import type { HubFile, HubListing } from './hubListing';

export interface DownloadPlan {
  readonly files: readonly HubFile[];
  /** The variant whose ONNX files were chosen (another than asked when that one is missing). */
  readonly variant: ModelVariant;
  readonly notices: readonly string[];
}

const REQUIRED = ['tokenizer.json'];
const OPTIONAL = ['config.json', 'tokenizer_config.json', 'generation_config.json'];

export function planDownload(listing: HubListing, preferred: ModelVariant): DownloadPlan {
  const where = `${listing.id}@${listing.revision}`;
  const paths = [...listing.files.keys()];
  for (const file of REQUIRED) {
    if (!listing.files.has(file)) {
      throw new HubError('not-loadable', `${where} has no ${file}, which the engine needs. ONNX exports for transformers.js (Xenova/…, onnx-community/…) include it.`);
    }
  }
  // Where modelFolder looks: onnx/ first, then the top of the repository.
  const onnxFiles = [...paths.filter((file) => /^onnx\/[^/]+\.onnx$/.test(file)), ...paths.filter((file) => /^[^/]+\.onnx$/.test(file))];
  if (onnxFiles.length === 0) {
    throw new HubError(
      'not-loadable',
      `${where} has no ONNX files (onnx/*.onnx): the engine runs ONNX exports. Look for an ONNX export of this model, e.g. under Xenova/ or onnx-community/.`,
    );
  }
  const picked = pickOnnxFiles(onnxFiles, preferred);
  if (!picked) {
    throw new HubError('not-loadable', `The ONNX files of ${where} (${onnxFiles.join(', ')}) do not form a model layout the engine knows.`);
  }
  const chosen = [...picked.files.values()];
  const external = chosen.flatMap((onnx) => paths.filter((file) => isExternalDataOf(file, onnx)));
  const wanted = [...REQUIRED, ...OPTIONAL.filter((file) => listing.files.has(file)), ...chosen, ...external];
  const notices = picked.variant === preferred ? [] : [`${where} has no ${preferred} weights; downloading the ${picked.variant} variant.`];
  return { files: wanted.map((file) => listing.files.get(file)!), variant: picked.variant, notices };
}

/** `model.onnx_data`, `model.onnx.data`, `model.onnx_data_1`, … beside `model.onnx`. */
function isExternalDataOf(file: string, onnx: string): boolean {
  if (path.posix.dirname(file) !== path.posix.dirname(onnx)) return false;
  const base = path.posix.basename(onnx);
  const name = path.posix.basename(file);
  return name.startsWith(base) && /^(_data|\.data)(_\d+)?$/.test(name.slice(base.length));
}
