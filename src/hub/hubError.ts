// Failures of a Hub download, each with a message written for people and a reason the front ends
// act on (ask for an access token, fall back to the cache). No message ever contains the token.

import { EngineError } from '../engine/engineError';

export type HubFailure =
  /** Not a Hub model id (owner/name) or revision. */
  | 'bad-id'
  /** The Hub has no such model, revision or file. */
  | 'not-found'
  /** 401/403: gated or private, and no token or a refused one. */
  | 'unauthorized'
  /** The Hub could not be reached, or answered 5xx: the cached copy may serve instead. */
  | 'network'
  /** A file's size or checksum differs from what the Hub lists; nothing was kept. */
  | 'integrity'
  /** The repository lacks what the engine needs (tokenizer.json, ONNX files). */
  | 'not-loadable'
  /** Any other refusal: bad answers, unsafe paths, a token over plain http, a full disk. */
  | 'refused';

export class HubError extends EngineError {
  constructor(
    readonly failure: HubFailure,
    message: string,
    readonly status?: number,
  ) {
    super('download', message);
    this.name = 'HubError';
  }
}

export function isHubError(error: unknown): error is HubError {
  return error instanceof HubError;
}
