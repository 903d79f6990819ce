// The messages between the extension host and the engine process. Messages travel over Node's
// IPC with `serialization: 'advanced'`, so Float32Arrays cross as binary, not as JSON.

import type { ModelInfo, Translation } from './inspection';
import type { HeadDependence, InspectionSummary, PanelDataMethods } from './panelData';
import type { RpcMessage } from './rpc';

/**
 * The beam a translation uses when the caller does not say (the hover's default too): on the bundled
 * model a beam of 4 scored 0.9–3.7 chrF above greedy search in three of four measured cases, at about
 * twice greedy's time, within the hover's latency target (docs/benchmarks.md, "Decoding").
 */
export const TRANSLATION_BEAM_SIZE = 4;

export interface LoadParams {
  /** Model folder or .onnx file. */
  readonly model: string;
  readonly variant?: string;
  readonly executionProviders?: readonly string[];
  readonly threads?: number;
}

export interface InspectParams {
  readonly text: string;
  readonly target?: string;
  /** Second text of a sentence pair (encoder-only models). */
  readonly pair?: string;
  readonly maxTokens?: number;
  readonly targetLanguage?: string;
}

export interface TranslateParams {
  readonly text: string;
  /** `en`, `zh` or `auto` for bilingual models. */
  readonly targetLanguage?: string;
  readonly beamSize?: number;
  readonly maxSourceTokens?: number;
}

/** One of the panel's data questions, about an inspection the engine keeps. */
export type PanelQuestion = {
  [K in keyof PanelDataMethods]: { readonly method: K; readonly params: PanelDataMethods[K]['params'] };
}[keyof PanelDataMethods];

export type EngineMethods = {
  /** Load a model, replacing the current one; progress events name each stage. */
  load: { params: LoadParams; result: ModelInfo };
  /** Summary of the loaded model. */
  info: { params: Record<string, never>; result: ModelInfo };
  /** Run the loaded model on a text; the engine keeps the result and returns its summary. */
  inspect: { params: InspectParams; result: InspectionSummary };
  /** Answer a panel question about a kept inspection (full-resolution slices, rollout, neighbours). */
  panelQuestion: { params: PanelQuestion; result: PanelDataMethods[keyof PanelDataMethods]['result'] };
  /** Translate a text with an encoder-decoder model; cancellable between decoder steps. */
  translate: { params: TranslateParams; result: Translation };
  /** Translate again with each head switched off alone: which heads the translation depends on. */
  headDependence: { params: TranslateParams; result: HeadDependence };
  /** Test hook: never answers (hung engine). Only served when TRANSFORMER_INSPECTOR_TEST_HOOKS=1. */
  hang: { params: Record<string, never>; result: never };
};

export type EngineMessage = RpcMessage<EngineMethods>;
