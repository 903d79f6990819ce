// Opens a Hub model id as a local folder: resolves the revision to a commit, downloads only the files
// the engine needs into the cache, and, when the Hub cannot be reached, falls back to a complete cached copy.

import { existsSync, readdirSync, rmdirSync, statSync, statfsSync } from 'node:fs';
import * as path from 'node:path';
import type { ModelVariant } from '../engine/modelFolder';
import { downloadFile } from './fileDownload';
import { planDownload } from './fileSelection';
import { CachedModel, findCached, incompleteFolder, inside, partialFile, recordDownload, snapshotFolder, writeRef } from './hubCache';
import { HubError, isHubError } from './hubError';
import type { HubHttpOptions } from './hubHttp';
import { listRepository } from './hubListing';
import { HubReference, formatReference, hubEndpoint, parseHubReference, resolveUrl } from './hubReference';

export interface DownloadOptions {
  readonly cacheDir: string;
  /** Default: `HF_ENDPOINT`, else https://huggingface.co. */
  readonly endpoint?: string;
  /** Sent as `Authorization: Bearer` to the endpoint only; never logged or stored. */
  readonly token?: string;
  readonly variant?: ModelVariant;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** How the user gives a token, for messages about gated models. */
  readonly tokenHint?: string;
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  readonly timeoutMs?: number;
}

export interface DownloadProgress {
  /** The file now arriving; undefined before the first and after the last. */
  readonly file?: string;
  readonly fileIndex: number;
  readonly fileCount: number;
  /** Bytes of that file on disk so far, resumed ones included, and its size when known. */
  readonly fileBytes: number;
  readonly fileSize?: number;
  /** Bytes in place so far, of all files to fetch in this run. */
  readonly bytes: number;
  readonly totalBytes: number;
}

export interface DownloadedModel extends HubReference {
  readonly commit: string;
  /** The local folder to open: the snapshot in the cache. */
  readonly folder: string;
  readonly variant: ModelVariant;
  /** True when the Hub could not be reached and the cached copy serves. */
  readonly offline: boolean;
  /** Bytes that came over the network in this run (0 when everything was cached). */
  readonly fetchedBytes: number;
  readonly files: readonly string[];
  readonly notices: readonly string[];
}

export async function downloadModel(reference: HubReference | string, options: DownloadOptions): Promise<DownloadedModel> {
  const ref = typeof reference === 'string' ? parseHubReference(reference) : reference;
  const variant = options.variant ?? 'fp32';
  const endpoint = hubEndpoint(options.endpoint);
  try {
    return await fetchModel(ref, variant, endpoint, options);
  } catch (error) {
    if (!isHubError(error) || error.failure !== 'network') throw error;
    const cached = findCached(options.cacheDir, ref, variant);
    if (!cached) {
      throw new HubError('network', `${error.message} No complete copy of ${formatReference(ref)} is in the cache (${options.cacheDir}) to use instead.`, error.status);
    }
    return fromCache(cached, error.message);
  }
}

async function fetchModel(ref: HubReference, variant: ModelVariant, endpoint: string, options: DownloadOptions): Promise<DownloadedModel> {
  const http: HubHttpOptions = { endpoint, token: options.token || undefined, signal: options.signal, timeoutMs: options.timeoutMs };
  const tokenHint = options.tokenHint ?? 'give an access token from huggingface.co/settings/tokens';
  const listing = await listRepository(ref, http, tokenHint);
  const plan = planDownload(listing, variant);
  const folder = snapshotFolder(options.cacheDir, ref.id, listing.commit);
  const targets = plan.files.map((file) => ({ file, final: inside(folder, file.path) }));
  const missing = targets.filter(({ file, final }) => !isInPlace(final, file.size));
  const totalBytes = missing.reduce((sum, { file }) => sum + (file.size ?? 0), 0);
  checkFreeSpace(options.cacheDir, totalBytes);
  let done = 0;
  let fetchedBytes = 0;
  for (const [index, { file, final }] of missing.entries()) {
    const report = (bytes: number, size?: number) =>
      options.onProgress?.({ file: file.path, fileIndex: index, fileCount: missing.length, fileBytes: bytes, fileSize: size, bytes: done + bytes, totalBytes });
    fetchedBytes += await downloadFile(
      file,
      { url: resolveUrl(endpoint, ref.id, listing.commit, file.path), part: partialFile(options.cacheDir, ref.id, listing.commit, file.path), final },
      { ...http, subject: { ...ref, file: file.path, tokenHint }, onBytes: report, attempts: options.attempts, retryDelayMs: options.retryDelayMs },
    );
    done += file.size ?? 0;
  }
  options.onProgress?.({ fileIndex: missing.length, fileCount: missing.length, fileBytes: 0, bytes: done, totalBytes });
  const files = plan.files.map((file) => ({ path: file.path, size: sizeOf(inside(folder, file.path)) }));
  recordDownload(folder, { id: ref.id, commit: listing.commit, endpoint }, variant, { variant: plan.variant, files, at: new Date().toISOString() });
  writeRef(options.cacheDir, ref.id, ref.revision, listing.commit);
  removeEmptyFolders(incompleteFolder(options.cacheDir, ref.id));
  return { ...ref, commit: listing.commit, folder, variant: plan.variant, offline: false, fetchedBytes, files: files.map((file) => file.path), notices: plan.notices };
}

function fromCache(cached: CachedModel, why: string): DownloadedModel {
  const day = cached.downloadedAt.slice(0, 10);
  return {
    ...cached,
    offline: true,
    fetchedBytes: 0,
    notices: [`Offline: ${why} Using the copy of ${formatReference(cached)} in the cache (commit ${cached.commit.slice(0, 7)}, downloaded ${day}).`],
  };
}

/** Drops folders left empty under `folder` (and it), bottom up; parts of other downloads stay. */
function removeEmptyFolders(folder: string): void {
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return;
  }
  for (const entry of entries) if (statSync(path.join(folder, entry)).isDirectory()) removeEmptyFolders(path.join(folder, entry));
  if (readdirSync(folder).length === 0) rmdirSync(folder);
}

function isInPlace(file: string, size: number | undefined): boolean {
  const actual = sizeOf(file);
  return actual >= 0 && (size === undefined || actual === size);
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}

/** A clear message before starting, instead of a full disk halfway through. */
function checkFreeSpace(folder: string, needed: number): void {
  let free: number;
  try {
    const stats = statfsSync(existingAncestor(folder));
    free = stats.bavail * stats.bsize;
  } catch {
    return;
  }
  if (needed > free) {
    throw new HubError('refused', `The download needs ${formatBytes(needed)} but only ${formatBytes(free)} are free in ${folder}. Free some space or choose another cache folder.`);
  }
}

function existingAncestor(folder: string): string {
  let current = path.resolve(folder);
  while (!existsSync(current) && current !== path.dirname(current)) current = path.dirname(current);
  return current;
}

/** `812 B`, `4.2 kB`, `73 kB`, `1.4 MB`, `2.1 GB`: sizes as the Hub's pages show them (powers of 1000). */
export function formatBytes(bytes: number): string {
  const [unit, scale] = bytes < 1e3 ? ['B', 1] : bytes < 1e6 ? ['kB', 1e3] : bytes < 1e9 ? ['MB', 1e6] : ['GB', 1e9];
  const value = bytes / (scale as number);
  return `${value.toFixed(scale === 1 || value >= 10 ? 0 : 1)} ${unit}`;
}
