// One file from the Hub into the cache: grown in a `.part` file that an HTTP Range request resumes
// after a lost connection (now or in a later run), checked against the listing, then renamed into place.

import { createHash, Hash } from 'node:crypto';
import { createReadStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { EngineError } from '../engine/engineError';
import { HubError } from './hubError';
import type { HubFile } from './hubListing';
import { HubHttpOptions, HubResponse, RequestSubject, asHubFailure, hubRequest, statusFailure } from './hubHttp';

export interface FileTarget {
  readonly url: string;
  readonly part: string;
  readonly final: string;
}

export interface FileDownloadOptions extends HubHttpOptions {
  readonly subject: RequestSubject;
  /** Bytes of this file on disk so far (including resumed ones), as they arrive. */
  readonly onBytes?: (bytes: number, total: number | undefined) => void;
  /** Tries in this run when the connection drops (default 3). */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
}

/** Downloads `file` to `target.final`; returns the number of bytes fetched over the network. */
export async function downloadFile(file: HubFile, target: FileTarget, options: FileDownloadOptions): Promise<number> {
  const attempts = options.attempts ?? 3;
  let fetched = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await fetchInto(file, target, options);
      fetched += outcome.fetched;
      await verify(file, target.part, outcome, options.subject);
      mkdirSync(path.dirname(target.final), { recursive: true });
      renameSync(target.part, target.final);
      return fetched;
    } catch (error) {
      if (error instanceof Interrupted && attempt < attempts) {
        fetched += error.fetched;
        await delay(options.retryDelayMs ?? 1000 * attempt, options.signal);
        continue;
      }
      if (error instanceof HubError && error.failure === 'integrity') rmSync(target.part, { force: true });
      if (!(error instanceof Interrupted)) throw error;
      const kept = sizeOf(target.part);
      throw new HubError(
        'network',
        `The download of ${file.path} of ${options.subject.id} stopped: ${error.failure.message}${kept ? ` ${kept} bytes are kept; run it again to resume.` : ''}`,
      );
    }
  }
}

/** A transfer that stopped early: the `.part` keeps what arrived, the next try resumes from there. */
class Interrupted extends Error {
  constructor(
    readonly failure: Error,
    readonly fetched: number,
  ) {
    super(failure.message);
  }
}

interface Fetched {
  readonly fetched: number;
  /** sha256 of the whole file, resumed bytes included. */
  readonly sha256: string;
  readonly linkedSha256?: string;
  readonly linkedGitOid?: string;
}

async function fetchInto(file: HubFile, target: FileTarget, options: FileDownloadOptions): Promise<Fetched> {
  let offset = sizeOf(target.part);
  if (file.size !== undefined && offset > file.size) offset = restart(target.part);
  if (offset > 0 && offset === file.size) {
    // Whole already (the last run stopped before checking it): check it rather than fetch it again.
    const whole = createHash('sha256');
    await hashFile(target.part, whole);
    return { fetched: 0, sha256: whole.digest('hex') };
  }
  const response = await hubRequest(target.url, options, offset > 0 ? { range: `bytes=${offset}-` } : {}).catch((error: unknown) => {
    throw asRetryable(error, target.url, 0, options.signal);
  });
  if (response.status === 416 && offset > 0) {
    // The part is already whole (or stale): start over rather than guess.
    response.body.resume();
    restart(target.part);
    throw new Interrupted(new HubError('network', `The Hub refused to resume ${file.path}.`), 0);
  }
  if (response.status === 200) offset = offset > 0 ? restart(target.part) : 0;
  else if (response.status === 206) {
    const start = Number(/^bytes (\d+)-/.exec(String(response.headers['content-range'] ?? ''))?.[1]);
    if (start !== offset) {
      response.body.resume();
      restart(target.part);
      throw new Interrupted(new HubError('network', `The Hub resumed ${file.path} at the wrong byte.`), 0);
    }
  } else throw statusFailure(response, options.subject, options);

  const total = file.size ?? response.linked.size ?? declaredTotal(response, offset);
  const declared = response.linked.size ?? declaredTotal(response, offset);
  if (file.size !== undefined && declared !== undefined && declared !== file.size) {
    response.body.resume();
    throw sizeMismatch(options.subject, file.size, `the server announced ${declared}`);
  }
  const hash = createHash('sha256');
  if (offset > 0) await hashFile(target.part, hash);
  let onDisk = offset;
  options.onBytes?.(onDisk, total);
  // Each piece is on disk before the next is read, so a lost connection leaves a .part that is exact.
  mkdirSync(path.dirname(target.part), { recursive: true });
  const part = await open(target.part, offset > 0 ? 'a' : 'w');
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      if (total !== undefined && onDisk + chunk.length > total) throw sizeMismatch(options.subject, total, `more arrived (${onDisk + chunk.length} so far)`);
      await part.write(chunk);
      onDisk += chunk.length;
      hash.update(chunk);
      options.onBytes?.(onDisk, total);
    }
  } catch (error) {
    throw asRetryable(error, target.url, onDisk - offset, options.signal);
  } finally {
    await part.close();
  }
  if (total !== undefined && onDisk < total) {
    throw new Interrupted(new HubError('network', `The connection closed after ${onDisk} of ${total} bytes of ${file.path}.`), onDisk - offset);
  }
  const linkedSha256 = response.linked.etag && /^[0-9a-f]{64}$/.test(response.linked.etag) ? response.linked.etag : undefined;
  const linkedGitOid = response.linked.etag && /^[0-9a-f]{40}$/.test(response.linked.etag) ? response.linked.etag : undefined;
  return { fetched: onDisk - offset, sha256: hash.digest('hex'), linkedSha256, linkedGitOid };
}

async function verify(file: HubFile, part: string, fetched: Fetched, subject: RequestSubject): Promise<void> {
  const size = sizeOf(part);
  if (file.size !== undefined && size !== file.size) throw sizeMismatch(subject, file.size, `${size} arrived`);
  const sha256 = file.sha256 ?? fetched.linkedSha256;
  if (sha256 && fetched.sha256 !== sha256) throw checksumMismatch(subject, 'sha256', sha256, fetched.sha256);
  const gitOid = file.gitOid ?? (file.sha256 || fetched.linkedSha256 ? undefined : fetched.linkedGitOid);
  if (gitOid) {
    const blob = createHash('sha1').update(`blob ${size}\0`);
    await hashFile(part, blob);
    const actual = blob.digest('hex');
    if (actual !== gitOid) throw checksumMismatch(subject, 'git blob id', gitOid, actual);
  }
}

function sizeMismatch(subject: RequestSubject, expected: number, actual: string): HubError {
  return new HubError(
    'integrity',
    `${subject.file} of ${subject.id} failed its size check: the Hub lists ${expected} bytes, but ${actual}. Nothing was kept; try again, and if it persists tell the model's owner.`,
  );
}

function checksumMismatch(subject: RequestSubject, kind: string, expected: string, actual: string): HubError {
  return new HubError(
    'integrity',
    `${subject.file} of ${subject.id} failed its ${kind} check: the Hub lists ${expected}, the downloaded bytes give ${actual}. Nothing was kept; try again, and if it persists tell the model's owner.`,
  );
}

/** Network trouble is worth another try; anything else (integrity, cancel) is final. */
function asRetryable(error: unknown, url: string, fetched: number, signal?: AbortSignal): Error {
  const failure = error instanceof EngineError ? error : asHubFailure(error, url, signal);
  if (failure instanceof HubError && failure.failure === 'network') return new Interrupted(failure, fetched);
  return failure;
}

function declaredTotal(response: HubResponse, offset: number): number | undefined {
  const range = /\/(\d+)$/.exec(String(response.headers['content-range'] ?? ''));
  if (range) return Number(range[1]);
  const length = Number(response.headers['content-length']);
  return response.headers['content-length'] !== undefined && Number.isSafeInteger(length) ? offset + length : undefined;
}

async function hashFile(file: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function restart(part: string): 0 {
  rmSync(part, { force: true });
  return 0;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
