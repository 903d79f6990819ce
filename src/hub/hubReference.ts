// What names a model on the Hugging Face Hub: `owner/name[@revision]`, the endpoint that serves it,
// and the URLs of its API routes and files.

import { HubError } from './hubError';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

export interface HubReference {
  /** `owner/name`, as in the model page's URL. */
  readonly id: string;
  /** Branch, tag or commit. */
  readonly revision: string;
}

// The Hub's own rules: letters, digits, `-`, `_`, `.`; no `--` or `..`; no `-`/`.` at either end; 96 characters at most.
const NAME_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const REVISION = /^[A-Za-z0-9_.\-/]+$/;
export const COMMIT = /^[0-9a-f]{40}$/;

/** True when `text` has the shape of a Hub model id (owner/name, optionally @revision). */
export function looksLikeHubId(text: string): boolean {
  const [id, revision] = splitRevision(text.trim());
  return isValidId(id) && (revision === undefined || isValidRevision(revision));
}

/** Parses `owner/name[@revision]`; `revision` given separately wins over the one after `@`. */
export function parseHubReference(text: string, revision?: string): HubReference {
  const [id, fromText] = splitRevision(text.trim());
  if (!isValidId(id)) {
    throw new HubError(
      'bad-id',
      `"${text}" is not a Hugging Face model id. Write it as owner/name, as in the model page's URL (e.g. Xenova/opus-mt-zh-en), optionally followed by @revision.`,
    );
  }
  const chosen = revision?.trim() || fromText || DEFAULT_REVISION;
  if (!isValidRevision(chosen)) {
    throw new HubError('bad-id', `"${chosen}" is not a revision name: use a branch, a tag or a commit hash (e.g. main, v1.0, refs/pr/1).`);
  }
  return { id, revision: chosen };
}

export function formatReference(reference: HubReference): string {
  return reference.revision === DEFAULT_REVISION ? reference.id : `${reference.id}@${reference.revision}`;
}

/** The configured endpoint, else `HF_ENDPOINT`, else huggingface.co; without a trailing slash. */
export function hubEndpoint(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = configured?.trim() || env.HF_ENDPOINT?.trim() || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(chosen);
  } catch {
    throw new HubError('bad-id', `The Hub endpoint "${chosen}" is not a URL (expected e.g. ${DEFAULT_ENDPOINT}).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new HubError('bad-id', `The Hub endpoint "${chosen}" must be an http or https URL.`);
  }
  return chosen.replace(/\/+$/, '');
}

/** `{endpoint}/api/models/{id}/{route}/{revision}`: the revision is one path segment, as the Hub expects. */
export function apiUrl(endpoint: string, id: string, route: 'revision' | 'tree', revision: string): string {
  return `${endpoint}/api/models/${id}/${route}/${encodeURIComponent(revision)}`;
}

/** `{endpoint}/{id}/resolve/{commit}/{path}`: one file at one commit (LFS files redirect to a CDN). */
export function resolveUrl(endpoint: string, id: string, commit: string, file: string): string {
  return `${endpoint}/${id}/resolve/${encodeURIComponent(commit)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

function splitRevision(text: string): [string, string | undefined] {
  const at = text.indexOf('@');
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function isValidId(id: string): boolean {
  const parts = id.split('/');
  return parts.length === 2 && id.length <= 96 && !id.includes('--') && !id.includes('..') && parts.every((part) => NAME_PART.test(part));
}

function isValidRevision(revision: string): boolean {
  return REVISION.test(revision) && !revision.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
}
