// The extension's settings, read in one place with their defaults.

import * as vscode from 'vscode';
import { type LoadParams, TRANSLATION_BEAM_SIZE } from '../protocol/engineProtocol';

export const SECTION = 'transformerInspector';

export interface InspectorSettings {
  /** Configured model path; empty means the bundled model. */
  readonly model: string;
  readonly modelVariant: string;
  readonly executionProviders: readonly string[];
  readonly threads: number;
  readonly maxTokens: number;
}

export function readSettings(): InspectorSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    model: config.get<string>('model', '').trim(),
    modelVariant: config.get<string>('modelVariant', 'fp32'),
    executionProviders: config.get<string[]>('executionProviders', []),
    threads: config.get<number>('threads', 0),
    maxTokens: config.get<number>('maxTokens', 512),
  };
}

export interface HubSettings {
  /** Empty: `HF_ENDPOINT`, else https://huggingface.co. */
  readonly endpoint: string;
  /** Empty: the extension's global storage. */
  readonly cacheFolder: string;
}

export function readHubSettings(): HubSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return { endpoint: config.get<string>('hub.endpoint', '').trim(), cacheFolder: config.get<string>('hub.cacheFolder', '').trim() };
}

/** `both`: each text into the other language. */
export type TargetLanguage = 'en' | 'zh' | 'both';

export interface TranslationSettings {
  readonly hoverEnabled: boolean;
  readonly trigger: 'comments' | 'commentsAndStrings' | 'all';
  /** `auto` resolved: Chinese when VS Code runs in Chinese, else English; or `both`. */
  readonly targetLanguage: TargetLanguage;
  readonly maxLength: number;
  readonly beamSize: number;
  /** Configured translation model; empty means the bundled model. */
  readonly model: string;
}

export function readTranslationSettings(): TranslationSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const target = config.get<string>('translation.targetLanguage', 'auto');
  return {
    hoverEnabled: config.get<boolean>('hover.enabled', true),
    trigger: config.get<TranslationSettings['trigger']>('hover.trigger', 'commentsAndStrings'),
    targetLanguage: target === 'en' || target === 'zh' || target === 'both' ? target : vscode.env.language.toLowerCase().startsWith('zh') ? 'zh' : 'en',
    maxLength: config.get<number>('translation.maxLength', 400),
    beamSize: config.get<number>('translation.beamSize', TRANSLATION_BEAM_SIZE),
    model: config.get<string>('translation.model', '').trim(),
  };
}

/**
 * The translator's engine runs on one thread unless the setting says otherwise: a decoder step of a
 * few beams is too small to split: a second thread did not make a 15-word hover faster (docs/benchmarks.md,
 * "Threads"). Inspections let onnxruntime choose (one per physical core).
 */
export function loadParams(model: string, settings: InspectorSettings, use: 'inspection' | 'translation' = 'inspection'): LoadParams {
  return {
    model,
    variant: settings.modelVariant,
    executionProviders: settings.executionProviders.length ? settings.executionProviders : undefined,
    threads: settings.threads || (use === 'translation' ? 1 : undefined),
  };
}
