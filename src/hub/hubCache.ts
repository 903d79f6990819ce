// The download cache: one folder per model and commit in the Hugging Face cache layout
// (models--owner--name/refs, /snapshots/<commit>), and the manifest that marks a snapshot complete.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelVariant } from '../engine/modelFolder';
import { HubError } from './hubError';
import { COMMIT, HubReference } from './hubReference';

/** Written last, after every file of a download is verified and in place. */
export const MANIFEST = '.transformer-inspector.json';

export interface CachedModel extends HubReference {
  readonly commit: string;
  readonly folder: string;
  readonly variant: ModelVariant;
  readonly downloadedAt: string;
  readonly files: readonly string[];
  readonly bytes: number;
}

interface DownloadRecord {
  readonly variant: ModelVariant;
  readonly files: readonly { readonly path: string; readonly size: number }[];
  readonly at: string;
}

interface Manifest {
  readonly id: string;
  readonly commit: string;
  readonly endpoint: string;
  /** By the variant that was asked for. */
  readonly downloads: Readonly<Record<string, DownloadRecord>>;
}

/** `--cache`, else `TI_CACHE`, else `$XDG_CACHE_HOME/transformer-inspector/hub`, else `~/.cache/…`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TI_CACHE?.trim()) return path.resolve(env.TI_CACHE);
  const base = env.XDG_CACHE_HOME?.trim() || path.join(os.homedir(), '.cache');
  return path.join(base, 'transformer-inspector', 'hub');
}

export function repoFolder(cacheDir: string, id: string): string {
  return path.join(cacheDir, `models--${id.split('/').join('--')}`);
}

export function snapshotFolder(cacheDir: string, id: string, commit: string): string {
  return path.join(repoFolder(cacheDir, id), 'snapshots', commit);
}

/** Where files grow until they are verified (by commit); kept across runs so a download resumes. */
export function incompleteFolder(cacheDir: string, id: string): string {
  return path.join(repoFolder(cacheDir, id), 'incomplete');
}

export function partialFile(cacheDir: string, id: string, commit: string, file: string): string {
  return `${inside(path.join(incompleteFolder(cacheDir, id), commit), file)}.part`;
}

/** `folder/file` for a `/`-separated path from the Hub, refused if it would leave `folder`. */
export function inside(folder: string, file: string): string {
  const parts = file.split('/');
  if (file.includes('\\') || file.includes('\0') || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new HubError('refused', `The Hub listed a file named "${file}", which would land outside the model folder; refused.`);
  }
  return path.join(folder, ...parts);
}

export function readRef(cacheDir: string, id: string, revision: string): string | undefined {
  if (COMMIT.test(revision)) return revision;
  try {
    const commit = readFileSync(inside(path.join(repoFolder(cacheDir, id), 'refs'), revision), 'utf8').trim();
    return COMMIT.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

export function writeRef(cacheDir: string, id: string, revision: string, commit: string): void {
  if (revision === commit) return;
  writeAtomically(inside(path.join(repoFolder(cacheDir, id), 'refs'), revision), commit);
}

/** Marks a download complete; earlier downloads of other variants into the same snapshot stay. */
export function recordDownload(snapshot: string, facts: Omit<Manifest, 'downloads'>, asked: ModelVariant, record: DownloadRecord): void {
  const previous = readManifest(snapshot);
  const manifest: Manifest = { ...facts, downloads: { ...previous?.downloads, [asked]: record } };
  writeAtomically(path.join(snapshot, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The complete cached copy for a reference: the asked variant's download, else any other. */
export function findCached(cacheDir: string, reference: HubReference, asked: ModelVariant): CachedModel | undefined {
  const commit = readRef(cacheDir, reference.id, reference.revision);
  if (!commit) return undefined;
  const folder = snapshotFolder(cacheDir, reference.id, commit);
  const manifest = readManifest(folder);
  if (!manifest) return undefined;
  const records = [manifest.downloads[asked], ...Object.values(manifest.downloads)].filter((record): record is DownloadRecord => Boolean(record));
  const record = records.find((candidate) => isComplete(folder, candidate));
  if (!record) return undefined;
  const bytes = record.files.reduce((sum, file) => sum + file.size, 0);
  return { ...reference, commit, folder, variant: record.variant, downloadedAt: record.at, files: record.files.map((file) => file.path), bytes };
}

/** Every complete download in the cache, newest first, by the revision it was asked for. */
export function listCachedModels(cacheDir: string): CachedModel[] {
  const found = new Map<string, CachedModel>();
  for (const repo of safeReaddir(cacheDir).filter((name) => name.startsWith('models--'))) {
    const id = repo.slice('models--'.length).split('--').join('/');
    const refs = path.join(cacheDir, repo, 'refs');
    // Named revisions first, so a snapshot is listed as "main" rather than by its commit.
    const revisions = filesUnder(refs).map((file) => path.relative(refs, file).split(path.sep).join('/'));
    revisions.push(...safeReaddir(path.join(cacheDir, repo, 'snapshots')).filter((commit) => COMMIT.test(commit)));
    for (const revision of revisions) {
      const commit = readRef(cacheDir, id, revision);
      const manifest = commit ? readManifest(snapshotFolder(cacheDir, id, commit)) : undefined;
      const newest = manifest && Object.values(manifest.downloads).sort((a, b) => b.at.localeCompare(a.at))[0];
      const model = newest && findCached(cacheDir, { id, revision }, newest.variant);
      if (model && !found.has(model.folder)) found.set(model.folder, model);
    }
  }
  return [...found.values()].sort((a, b) => b.downloadedAt.localeCompare(a.downloadedAt));
}

function readManifest(snapshot: string): Manifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(path.join(snapshot, MANIFEST), 'utf8')) as Manifest;
    return typeof manifest.downloads === 'object' && manifest.downloads !== null ? manifest : undefined;
  } catch {
    return undefined;
  }
}

function isComplete(folder: string, record: DownloadRecord): boolean {
  return record.files.every((file) => {
    try {
      return statSync(inside(folder, file.path)).size === file.size;
    } catch {
      return false;
    }
  });
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function safeReaddir(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return safeReaddir(folder).flatMap((name) => {
    const full = path.join(folder, name);
    return statSync(full).isDirectory() ? filesUnder(full) : name.endsWith('.tmp') ? [] : [full];
  });
}
