// A model repository at one revision, as the Hub lists it: the commit the revision resolves to, and
// every file with its size and checksums (LFS sha256, git blob id) from the tree API.

import { COMMIT, HubReference, apiUrl } from './hubReference';
import { HubError } from './hubError';
import { HubHttpOptions, RequestSubject, hubJson, nextPage } from './hubHttp';

export interface HubFile {
  /** Path inside the repository, `/`-separated. */
  readonly path: string;
  readonly size?: number;
  /** For LFS files: the sha256 of the content (`lfs.oid`). */
  readonly sha256?: string;
  /** For other files: the git blob id (`oid`), a sha1 over "blob <size>\0" and the content. */
  readonly gitOid?: string;
}

export interface HubListing extends HubReference {
  readonly commit: string;
  readonly files: ReadonlyMap<string, HubFile>;
}

interface TreeEntry {
  readonly type?: string;
  readonly path?: string;
  readonly size?: number;
  readonly oid?: string;
  readonly lfs?: { readonly oid?: string; readonly size?: number };
}

const MAX_PAGES = 200;

/** `GET /api/models/{id}/revision/{rev}` for the commit, then the recursive tree at that commit. */
export async function listRepository(reference: HubReference, options: HubHttpOptions, tokenHint: string): Promise<HubListing> {
  const subject: RequestSubject = { ...reference, tokenHint };
  const { value: info } = await hubJson(apiUrl(options.endpoint, reference.id, 'revision', reference.revision), options, subject);
  const commit = typeof info === 'object' && info !== null ? (info as { sha?: unknown }).sha : undefined;
  if (typeof commit !== 'string' || !COMMIT.test(commit)) {
    throw new HubError('refused', `The Hub's answer for ${reference.id}@${reference.revision} names no commit (no "sha" field); is ${options.endpoint} a Hugging Face Hub?`);
  }
  const files = new Map<string, HubFile>();
  let url: string | undefined = `${apiUrl(options.endpoint, reference.id, 'tree', commit)}?recursive=true`;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const { value, response } = await hubJson(url, options, subject);
    if (!Array.isArray(value)) throw new HubError('refused', `The Hub's file list of ${reference.id} is not a list.`);
    for (const entry of value as TreeEntry[]) {
      if (entry.type !== 'file' || typeof entry.path !== 'string') continue;
      files.set(entry.path, fileOf(entry));
    }
    url = nextPage(response.headers);
  }
  return { ...reference, commit, files };
}

function fileOf(entry: TreeEntry): HubFile {
  const size = entry.lfs?.size ?? entry.size;
  const sha256 = entry.lfs?.oid?.toLowerCase();
  return {
    path: entry.path!,
    size: Number.isSafeInteger(size) && size! >= 0 ? size : undefined,
    sha256: sha256 && /^[0-9a-f]{64}$/.test(sha256) ? sha256 : undefined,
    // A pointer file's blob id says nothing about the content, so only non-LFS files keep theirs.
    gitOid: !entry.lfs && entry.oid && /^[0-9a-f]{40}$/.test(entry.oid) ? entry.oid : undefined,
  };
}
