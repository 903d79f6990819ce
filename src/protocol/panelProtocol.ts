// Messages between the extension host and the inspection webview. The panel gets a small
// summary first and asks for full-resolution attention through the same RPC helper the engine
// uses; tensors travel as typed arrays, never as nested JSON.

import type { Translation } from './inspection';
import type { InspectionSummary, PanelDataMethods } from './panelData';
import type { RpcMessage } from './rpc';

export type HostToPanel =
  /** Draw this inspection (replaces the current one); details are fetched on demand. */
  | { readonly type: 'inspection'; readonly summary: InspectionSummary }
  /** Draw the cross-attention behind a translation (all of it is here: translations are small). */
  | { readonly type: 'translation'; readonly translation: Translation }
  /** Something slow is under way; show it instead of stale content. */
  | { readonly type: 'busy'; readonly message: string }
  /** The last request failed; keep the previous drawing and show why. */
  | { readonly type: 'error'; readonly message: string }
  /** Answers to the panel's data questions. */
  | Extract<RpcMessage<PanelDataMethods>, { kind: 'result' | 'error' }>;

export interface SaveRequest {
  readonly type: 'save';
  /** Suggested file name, e.g. `attention-L3-H2.png`. */
  readonly name: string;
  readonly mime: 'image/png' | 'image/svg+xml' | 'application/json' | 'text/csv';
  /** Text for SVG, JSON and CSV; base64 for PNG. */
  readonly data: string;
  readonly encoding: 'utf8' | 'base64';
}

/**
 * What a restored panel re-runs after a reload. The webview keeps it in its saved state
 * (`vscode.setState({ rerun, … })`); the host only reads it back.
 */
export type PanelRerun =
  | { readonly kind: 'inspect'; readonly text: string; readonly target?: string; readonly model?: string }
  | { readonly kind: 'translate'; readonly text: string; readonly targetLanguage: string };

export type PanelToHost =
  /** The webview's script runs and listens: the host may post now. */
  | { readonly type: 'ready' }
  /** Save an exported view or its data: the host asks where. */
  | SaveRequest
  /** A data question about the inspection shown. */
  | Extract<RpcMessage<PanelDataMethods>, { kind: 'request' | 'cancel' }>;

export function assertNever(value: never): never {
  throw new Error(`Unexpected message: ${JSON.stringify(value)}`);
}

const SAVE_TYPES = new Set<SaveRequest['mime']>(['image/png', 'image/svg+xml', 'application/json', 'text/csv']);
const PARAM_CHECKS: { readonly [K in keyof PanelDataMethods]: (params: Record<string, unknown>) => boolean } = {
  attentionHead: (p) => typeof p.group === 'string' && Number.isInteger(p.layer) && Number.isInteger(p.head),
  headQkv: (p) => typeof p.group === 'string' && Number.isInteger(p.layer) && Number.isInteger(p.head),
  attentionLayer: (p) => typeof p.group === 'string' && Number.isInteger(p.layer),
  attentionMean: (p) => typeof p.group === 'string' && Number.isInteger(p.layer),
  attentionRollout: (p) => typeof p.group === 'string',
  logitLens: (p) => p.stack === 'encoder' || p.stack === 'decoder',
  projection: (p) => p.stack === 'encoder' || p.stack === 'decoder',
  positions: (p) => p.stack === 'encoder' || p.stack === 'decoder',
  ffnTopUnits: (p) => (p.stack === 'encoder' || p.stack === 'decoder') && Number.isInteger(p.layer) && Number.isInteger(p.token) && Number.isInteger(p.count) && (p.count as number) <= 200,
  ablationEffect: (p) => typeof p.heads === 'string' && p.heads.length > 0 && p.heads.length <= 4000,
  headDependence: (p) => typeof p.text === 'string' && p.text.length > 0 && p.text.length <= 2000 && (p.targetLanguage === undefined || typeof p.targetLanguage === 'string'),
  inputTranslation: () => true,
  nextTokens: (p) => Number.isInteger(p.position) && (p.position as number) >= 0 && Number.isInteger(p.count) && (p.count as number) > 0 && (p.count as number) <= 200,
  neighbors: (p) => (p.stack === 'encoder' || p.stack === 'decoder') && Number.isInteger(p.layer) && Number.isInteger(p.token) && Number.isInteger(p.count) && (p.count as number) <= 50,
};

/** Checks an untrusted message from the webview against the protocol. */
export function isPanelToHost(value: unknown): value is PanelToHost {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  if (message.kind === 'cancel') return Number.isInteger(message.id);
  if (message.kind === 'request') {
    // Own keys only: "constructor" or "toString" must not find Object.prototype's.
    const check = typeof message.method === 'string' && Object.hasOwn(PARAM_CHECKS, message.method) ? PARAM_CHECKS[message.method as keyof PanelDataMethods] : undefined;
    const params = message.params as Record<string, unknown> | null;
    return Number.isInteger(message.id) && check !== undefined && typeof params === 'object' && params !== null && typeof params.id === 'string' && check(params) === true;
  }
  switch (message.type) {
    case 'ready':
      return true;
    case 'save':
      return (
        typeof message.name === 'string' &&
        /^[\w.-]{1,100}$/.test(message.name) &&
        SAVE_TYPES.has(message.mime as SaveRequest['mime']) &&
        typeof message.data === 'string' &&
        (message.encoding === 'utf8' || message.encoding === 'base64')
      );
    default:
      return false;
  }
}
