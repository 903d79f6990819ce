// A stand-in for the Hugging Face Hub on 127.0.0.1, for the download tests: the revision, tree and
// resolve routes with the Hub's headers, LFS files redirected to a second origin (the "CDN") with
// Range support, gated repositories, and faults on demand (a dropped connection, a wrong size, bad bytes).

import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface RepoRevision {
  /** Branch or tag names that resolve to this commit. */
  readonly names: readonly string[];
  readonly files: ReadonlyMap<string, Buffer>;
}

export interface FakeRepo {
  readonly id: string;
  readonly revisions: readonly RepoRevision[];
  /** The token a gated repository's files need. */
  readonly gatedToken?: string;
}

export interface Fault {
  /** Close the connection after this many bytes of the body, `times` times (default once). */
  readonly dropAfter?: number;
  readonly times?: number;
  /** List the file this many bytes longer than it is. */
  readonly listedSizeOffset?: number;
  /** Flip one byte of the content served (the listing keeps the true checksum). */
  readonly corrupt?: boolean;
  /** Send the body in 8 KB pieces this many ms apart. */
  readonly chunkDelayMs?: number;
}

export interface LoggedRequest {
  readonly origin: 'hub' | 'cdn';
  readonly path: string;
  /** For CDN requests: the repository file served. */
  readonly file?: string;
  readonly range?: string;
  readonly authorization?: string;
}

interface Commit {
  readonly sha: string;
  readonly files: ReadonlyMap<string, Buffer>;
}

const LFS = /\.(onnx|onnx_data|bin)$/;
const TREE_PAGE = 4;

export class FakeHub {
  readonly requests: LoggedRequest[] = [];
  readonly faults = new Map<string, Fault>();
  private readonly commits = new Map<string, Map<string, Commit>>();
  /** By sha256; equal bytes under several names are told apart by the file name in the CDN URL. */
  private readonly blobs = new Map<string, { readonly file: string; readonly bytes: Buffer }[]>();

  private constructor(
    private readonly repos: readonly FakeRepo[],
    private readonly hub: http.Server,
    private readonly cdn: http.Server,
  ) {
    for (const repo of repos) {
      const byName = new Map<string, Commit>();
      for (const revision of repo.revisions) {
        const commit = { sha: sha1(`${repo.id}:${revision.names.join(',')}`), files: revision.files };
        byName.set(commit.sha, commit);
        for (const name of revision.names) byName.set(name, commit);
        for (const [file, bytes] of revision.files) this.blobs.set(sha256(bytes), [...(this.blobs.get(sha256(bytes)) ?? []), { file, bytes }]);
      }
      this.commits.set(repo.id, byName);
    }
  }

  static async start(repos: readonly FakeRepo[]): Promise<FakeHub> {
    const hub = http.createServer();
    const cdn = http.createServer();
    const fake = new FakeHub(repos, hub, cdn);
    hub.on('request', (request, response) => fake.answerHub(request, response));
    cdn.on('request', (request, response) => fake.answerCdn(request, response));
    await Promise.all([hub, cdn].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
  }

  private get cdnOrigin(): string {
    return `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`;
  }

  /** The commit a revision name resolves to. */
  commitOf(id: string, revision: string): string {
    return this.commits.get(id)!.get(revision)!.sha;
  }

  /** Requests for one file: its resolve route on the Hub, and the CDN's answers for LFS files. */
  fileRequests(file: string, origin: LoggedRequest['origin']): LoggedRequest[] {
    return this.requests.filter((request) => request.origin === origin && (origin === 'hub' ? request.path.includes('/resolve/') && request.path.endsWith(`/${file}`) : request.file === file));
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private log(origin: LoggedRequest['origin'], request: http.IncomingMessage, file?: string): void {
    const url = new URL(request.url ?? '/', this.endpoint);
    this.requests.push({ origin, path: decodeURIComponent(url.pathname), file, range: request.headers.range, authorization: request.headers.authorization });
  }

  private answerHub(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.log('hub', request);
    const url = new URL(request.url ?? '/', this.endpoint);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const id = api?.[1] ?? resolve?.[1];
    const repo = this.repos.find((candidate) => candidate.id === id);
    if (!repo) return fail(response, 404, 'RepoNotFound', 'Repository not found');
    const commit = this.commits.get(repo.id)!.get(decodeURIComponent((api?.[3] ?? resolve?.[2])!));
    if (!commit) return fail(response, 404, 'RevisionNotFound', 'Invalid rev id');
    if (api?.[2] === 'revision') {
      const siblings = [...commit.files.keys()].map((rfilename) => ({ rfilename }));
      return json(response, { id: repo.id, sha: commit.sha, private: false, gated: repo.gatedToken ? 'manual' : false, siblings });
    }
    if (api?.[2] === 'tree') return this.answerTree(repo, commit, url, response);
    if (!resolve) return fail(response, 404, undefined, 'Not found');
    if (repo.gatedToken && request.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      const status = request.headers.authorization ? 403 : 401;
      return fail(response, status, 'GatedRepo', `Access to model ${repo.id} is restricted.`);
    }
    const file = decodeURIComponent(resolve[3]);
    const bytes = commit.files.get(file);
    if (!bytes) return fail(response, 404, 'EntryNotFound', 'Entry not found');
    const common = { 'x-repo-commit': commit.sha };
    if (LFS.test(file)) {
      // Signed CDN URLs carry credentials of their own in the query; the client must not need the token there.
      const disposition = encodeURIComponent(`inline; filename*=UTF-8''${path.posix.basename(file)}`);
      const location = `${this.cdnOrigin}/repos/${sha256(bytes)}?response-content-disposition=${disposition}&X-Amz-Signature=abc`;
      response.writeHead(302, { ...common, location, 'x-linked-etag': `"${sha256(bytes)}"`, 'x-linked-size': String(bytes.length), 'content-length': 0 });
      return void response.end();
    }
    this.serveBytes(file, bytes, request, response, { ...common, etag: `"${gitOid(bytes)}"` });
  }

  private answerTree(repo: FakeRepo, commit: Commit, url: URL, response: http.ServerResponse): void {
    const entries = [...new Set([...commit.files.keys()].filter((file) => file.includes('/')).map((file) => path.posix.dirname(file)))]
      .map((folder) => ({ type: 'directory', oid: sha1(folder), size: 0, path: folder }))
      .concat(
        [...commit.files].map(([file, bytes]) => {
          const listed = bytes.length + (this.faults.get(file)?.listedSizeOffset ?? 0);
          const lfs = LFS.test(file) ? { oid: sha256(bytes), size: listed, pointerSize: 134 } : undefined;
          return { type: 'file', oid: lfs ? sha1(`pointer:${file}`) : gitOid(bytes), size: listed, path: file, ...(lfs ? { lfs } : {}) };
        }),
      );
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = entries.slice(cursor, cursor + TREE_PAGE);
    const headers: http.OutgoingHttpHeaders = {};
    if (cursor + TREE_PAGE < entries.length) {
      headers.link = `<${this.endpoint}/api/models/${repo.id}/tree/${commit.sha}?recursive=true&cursor=${cursor + TREE_PAGE}>; rel="next"`;
    }
    json(response, page, headers);
  }

  private answerCdn(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', this.cdnOrigin);
    const name = /filename\*=UTF-8''(.+)$/.exec(url.searchParams.get('response-content-disposition') ?? '')?.[1];
    const blob = this.blobs.get(path.posix.basename(url.pathname))?.find((candidate) => path.posix.basename(candidate.file) === name);
    this.log('cdn', request, blob?.file);
    if (!blob) return fail(response, 404, undefined, 'NoSuchKey');
    this.serveBytes(blob.file, blob.bytes, request, response, { etag: `"${sha1(blob.file)}"` });
  }

  private serveBytes(file: string, original: Buffer, request: http.IncomingMessage, response: http.ServerResponse, headers: http.OutgoingHttpHeaders): void {
    const fault = this.faults.get(file);
    const bytes = fault?.corrupt ? flipped(original) : original;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= bytes.length && bytes.length > 0) {
      response.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
      return void response.end();
    }
    const body = bytes.subarray(start);
    response.writeHead(range ? 206 : 200, {
      ...headers,
      'accept-ranges': 'bytes',
      'content-length': body.length,
      ...(range ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    if (fault?.dropAfter !== undefined && (fault.times ?? 1) > 0) {
      this.faults.set(file, { ...fault, times: (fault.times ?? 1) - 1 });
      response.write(body.subarray(0, fault.dropAfter), () => response.socket?.destroy());
      return;
    }
    if (fault?.chunkDelayMs) return void sendSlowly(response, body, fault.chunkDelayMs);
    response.end(body);
  }
}

/** Copies fixture models into a temporary folder (tests never touch test/fixtures) and reads them as repository files. */
export function repoFiles(fixtures: string, name: string, extra: Record<string, Buffer | string> = {}): Map<string, Buffer> {
  const copy = mkdtempSync(path.join(tmpdir(), 'ti-hub-repo-'));
  try {
    cpSync(path.join(fixtures, name), copy, { recursive: true });
    const files = new Map<string, Buffer>();
    const walk = (folder: string, prefix: string) => {
      for (const entry of readdirSync(folder)) {
        const full = path.join(folder, entry);
        if (statSync(full).isDirectory()) walk(full, `${prefix}${entry}/`);
        else if (entry !== 'reference.json') files.set(`${prefix}${entry}`, readFileSync(full));
      }
    };
    walk(copy, '');
    for (const [file, content] of Object.entries(extra)) files.set(file, Buffer.isBuffer(content) ? content : Buffer.from(content));
    return files;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function gitOid(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function flipped(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[copy.length >> 1] ^= 0xff;
  return copy;
}

function json(response: http.ServerResponse, value: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const body = JSON.stringify(value);
  response.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function fail(response: http.ServerResponse, status: number, code: string | undefined, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json', ...(code ? { 'x-error-code': code } : {}), 'x-error-message': message });
  response.end(JSON.stringify({ error: message }));
}

function sendSlowly(response: http.ServerResponse, body: Buffer, delayMs: number): void {
  let offset = 0;
  const next = () => {
    if (response.destroyed) return;
    if (offset >= body.length) return void response.end();
    response.write(body.subarray(offset, offset + 8192));
    offset += 8192;
    setTimeout(next, delayMs);
  };
  next();
}
