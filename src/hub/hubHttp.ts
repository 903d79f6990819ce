// The Hub download's one HTTP client: node's http/https, redirects (the token goes only to the Hub's
// own origin, never to the CDN it redirects to), timeouts, cancellation, and status codes → HubError.

// Plain 'http'/'https', not 'node:…': VS Code's extension host hands extensions that require these
// names its proxy-aware copies (http.proxy, http.proxySupport); see README "Proxy".
import * as http from 'http';
import * as https from 'https';
import { EngineError } from '../engine/engineError';
import { HubError } from './hubError';

export interface HubHttpOptions {
  readonly endpoint: string;
  readonly token?: string;
  readonly signal?: AbortSignal;
  /** Idle time before a connection counts as lost (default 30 s). */
  readonly timeoutMs?: number;
}

/** What a request was for, to write messages about it. */
export interface RequestSubject {
  readonly id: string;
  readonly revision: string;
  readonly file?: string;
  /** How to give a token, in the words of the front end (`set HF_TOKEN …`). */
  readonly tokenHint: string;
}

export interface HubResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: http.IncomingMessage;
  /** The Hub's own headers, kept from its first answer when it redirects to a CDN. */
  readonly linked: LinkedHeaders;
}

export interface LinkedHeaders {
  readonly commit?: string;
  /** X-Linked-Etag (LFS: the sha256) or ETag (git blob id), unquoted. */
  readonly etag?: string;
  /** X-Linked-Size: the size of the file behind the redirect. */
  readonly size?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const USER_AGENT = 'transformer-inspector';

export async function hubRequest(url: string, options: HubHttpOptions, headers: Readonly<Record<string, string>> = {}): Promise<HubResponse> {
  const hubOrigin = new URL(options.endpoint).origin;
  let current = new URL(url);
  let linked: LinkedHeaders = {};
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const withToken = Boolean(options.token) && current.origin === hubOrigin;
    if (withToken && current.protocol === 'http:' && !isLoopback(current.hostname)) {
      throw new HubError('refused', `Not sending the access token over plain http to ${current.host}: use an https endpoint.`);
    }
    const response = await send(current, options, {
      'user-agent': USER_AGENT,
      'accept-encoding': 'identity',
      ...headers,
      ...(withToken ? { authorization: `Bearer ${options.token}` } : {}),
    });
    linked = mergeLinked(linked, response.headers);
    const location = response.headers.location;
    if (REDIRECTS.has(response.statusCode ?? 0) && location) {
      response.resume();
      current = new URL(location, current);
      continue;
    }
    return { status: response.statusCode ?? 0, headers: response.headers, body: response, linked };
  }
  throw new HubError('refused', `The Hub redirected ${new URL(url).pathname} more than ${MAX_REDIRECTS} times.`);
}

/** GET a JSON route; any status but 200 becomes a HubError about `subject`. */
export async function hubJson(url: string, options: HubHttpOptions, subject: RequestSubject): Promise<{ value: unknown; response: HubResponse }> {
  const response = await hubRequest(url, options, { accept: 'application/json' });
  if (response.status !== 200) throw statusFailure(response, subject, options);
  const text = await readText(response.body, options);
  try {
    return { value: JSON.parse(text), response };
  } catch {
    throw new HubError('refused', `The Hub's answer for ${subject.id} (${new URL(url).pathname}) is not JSON; is ${options.endpoint} a Hugging Face Hub?`);
  }
}

/** The message for a non-success answer, from the status and the Hub's X-Error-Code. */
export function statusFailure(response: HubResponse, subject: RequestSubject, options: HubHttpOptions): HubError {
  response.body.resume();
  const { status } = response;
  const code = String(response.headers['x-error-code'] ?? '');
  const { id, revision, file, tokenHint } = subject;
  const page = `${options.endpoint}/${id}`;
  const hasToken = Boolean(options.token);
  if (code === 'RevisionNotFound') return new HubError('not-found', `${id} has no revision "${revision}" on the Hub (expected a branch, a tag or a commit).`, status);
  if (code === 'EntryNotFound') return new HubError('not-found', `${id}@${revision} has no file ${file ?? ''} on the Hub.`, status);
  if (code === 'GatedRepo') {
    return new HubError(
      'unauthorized',
      hasToken
        ? `${id} is a gated model and the Hub refused the access token (${status}): accept the model's terms on ${page} with the account the token belongs to, or ${tokenHint}.`
        : `${id} is a gated model: the Hub answered ${status} without an access token. Accept the model's terms on ${page}, then ${tokenHint}.`,
      status,
    );
  }
  if (code === 'RepoNotFound' || status === 404) {
    const orPrivate = status === 401 && !hasToken ? ` If it is a private model, ${tokenHint}.` : '';
    return new HubError('not-found', `The Hub (${options.endpoint}) has no model ${id}. Check the id: owner/name, as in the model page's URL.${orPrivate}`, status);
  }
  if (status === 401) {
    return new HubError(
      'unauthorized',
      hasToken
        ? `The Hub refused the access token for ${id} (401): it may be expired or revoked; ${tokenHint}.`
        : `${id} needs an access token (the Hub answered 401): ${tokenHint}.`,
      status,
    );
  }
  if (status === 403) {
    return new HubError('unauthorized', `The Hub refused access to ${id} (403)${hasToken ? ': the access token has no read access to it' : ''}; ${tokenHint}.`, status);
  }
  const what = file ? `${file} of ${id}` : id;
  if (status === 429 || status >= 500) {
    return new HubError('network', `The Hub answered ${status} (${http.STATUS_CODES[status] ?? 'error'}) for ${what}; try again later.`, status);
  }
  const detail = response.headers['x-error-message'] ? `: ${String(response.headers['x-error-message'])}` : '';
  return new HubError('refused', `The Hub answered ${status} (${http.STATUS_CODES[status] ?? 'unexpected'}) for ${what}${detail}.`, status);
}

/** The URL of the next page, from a `Link: <…>; rel="next"` header. */
export function nextPage(headers: http.IncomingHttpHeaders): string | undefined {
  const link = headers.link;
  const match = typeof link === 'string' ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  return match?.[1];
}

export function cancelled(): EngineError {
  return new EngineError('cancelled', 'The download was cancelled; run it again to resume where it stopped.');
}

/** Errors of sockets and streams as HubErrors; an abort as `cancelled`. */
export function asHubFailure(error: unknown, url: URL | string, signal?: AbortSignal): Error {
  if (signal?.aborted) return cancelled();
  if (error instanceof EngineError) return error;
  const host = new URL(url).host;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const why: Record<string, string> = {
    ECONNREFUSED: `Cannot reach ${host}: connection refused`,
    ENOTFOUND: `Cannot reach ${host}: host not found`,
    EAI_AGAIN: `Cannot reach ${host}: name lookup failed`,
    ENETUNREACH: `Cannot reach ${host}: network unreachable`,
    EHOSTUNREACH: `Cannot reach ${host}: host unreachable`,
    ETIMEDOUT: `${host} stopped answering`,
    ECONNRESET: `The connection to ${host} was lost`,
    EPIPE: `The connection to ${host} was lost`,
  };
  return new HubError('network', `${why[code] ?? `Cannot reach ${host}: ${(error as Error).message}`}${code ? ` (${code})` : ''}.`);
}

async function readText(body: http.IncomingMessage, options: HubHttpOptions): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of body) {
      length += (chunk as Buffer).length;
      if (length > 64 << 20) throw new HubError('refused', 'The Hub sent more than 64 MB for a file listing.');
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    throw asHubFailure(error, options.endpoint, options.signal);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(url: URL, options: HubHttpOptions, headers: Record<string, string>): Promise<http.IncomingMessage> {
  if (options.signal?.aborted) return Promise.reject(cancelled());
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, { method: 'GET', headers, signal: options.signal }, resolve);
    request.setTimeout(options.timeoutMs ?? 30_000, () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    request.on('error', (error) => reject(asHubFailure(error, url, options.signal)));
    request.end();
  });
}

function mergeLinked(previous: LinkedHeaders, headers: http.IncomingHttpHeaders): LinkedHeaders {
  const header = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
  const etag = header('x-linked-etag') ?? header('etag');
  const size = Number(header('x-linked-size'));
  return {
    commit: previous.commit ?? header('x-repo-commit'),
    etag: previous.etag ?? (etag ? etag.replace(/^W\//, '').replace(/"/g, '') : undefined),
    size: previous.size ?? (Number.isSafeInteger(size) && header('x-linked-size') ? size : undefined),
  };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\./.test(hostname);
}
