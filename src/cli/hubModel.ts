// `--model` as a Hub id: a path that exists wins; otherwise `owner/name[@revision]` is downloaded
// into the cache (progress on stderr, token from HF_TOKEN) and the cached folder is opened.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { ModelVariant } from '../engine/modelFolder';
import { downloadModel, DownloadProgress, formatBytes } from '../hub/downloadModel';
import { defaultCacheDir } from '../hub/hubCache';
import { HubError, isHubError } from '../hub/hubError';
import { formatReference, looksLikeHubId, parseHubReference } from '../hub/hubReference';

export interface HubModelOptions {
  readonly cache?: string;
  readonly variant?: ModelVariant;
}

/** The local folder or file for `--model`. */
export async function resolveModelArgument(given: string, options: HubModelOptions): Promise<string> {
  if (existsSync(given) || !looksLikeHubId(given)) return given;
  const reference = parseHubReference(given);
  const cacheDir = options.cache ? path.resolve(options.cache) : defaultCacheDir();
  const started = performance.now();
  const progress = new ProgressLine(process.stderr);
  process.stderr.write(`Hugging Face Hub: ${formatReference(reference)} (cache: ${cacheDir})\n`);
  try {
    const model = await downloadModel(reference, {
      cacheDir,
      token: process.env.HF_TOKEN?.trim() || undefined,
      variant: options.variant,
      tokenHint: 'set HF_TOKEN to an access token from https://huggingface.co/settings/tokens',
      onProgress: (step) => progress.show(step),
    });
    progress.end();
    for (const notice of model.notices) process.stderr.write(`note: ${notice}\n`);
    if (!model.offline) {
      const fetched = model.fetchedBytes ? `downloaded ${formatBytes(model.fetchedBytes)} in ${((performance.now() - started) / 1000).toFixed(1)} s` : 'already in the cache';
      process.stderr.write(`${formatReference(reference)} at commit ${model.commit.slice(0, 7)}: ${fetched}\n`);
    }
    return model.folder;
  } catch (error) {
    progress.end();
    if (isHubError(error) && error.failure === 'not-found') {
      throw new HubError('not-found', `There is no file or folder "${given}" here, so it was looked up on the Hub: ${error.message}`, error.status);
    }
    throw error;
  }
}

/** One line of progress, redrawn in place on a terminal; a line per file otherwise (logs, CI). */
class ProgressLine {
  private lastFile?: string;
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream) {}

  show(step: DownloadProgress): void {
    if (!step.file) return;
    const counter = `[${step.fileIndex + 1}/${step.fileCount}]`;
    if (!this.out.isTTY) {
      if (step.file !== this.lastFile) this.out.write(`  ${counter} ${step.file}${step.fileSize !== undefined ? ` (${formatBytes(step.fileSize)})` : ''}\n`);
      this.lastFile = step.file;
      return;
    }
    const now = performance.now();
    if (now - this.lastDraw < 100 && step.file === this.lastFile && step.fileBytes !== step.fileSize) return;
    this.lastDraw = now;
    this.lastFile = step.file;
    const percent = step.totalBytes ? ` ${Math.floor((100 * step.bytes) / step.totalBytes)}%` : '';
    this.out.write(`\r\x1b[K  ${counter} ${step.file}  ${formatBytes(step.bytes)} of ${formatBytes(step.totalBytes)}${percent}`);
    this.drawn = true;
  }

  end(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
