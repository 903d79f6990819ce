// Translation for hovers and commands: its own engine process (a long inspection never holds up
// a hover), the translation model loaded on first use, and a bounded cache of results.

import type { HeadDependence } from '../protocol/panelData';
import * as vscode from 'vscode';
import { bundledModelPath } from '../engine/bundledModel';
import { EngineClient } from '../engine/client';
import { EngineError, errorMessage } from '../engine/engineError';
import { translationTarget } from '../engine/languages';
import type { ModelInfo, Translation } from '../protocol/inspection';
import { LruCache } from '../engine/lruCache';
import { loadParams, readSettings, readTranslationSettings } from './settings';

const CACHE_ENTRIES = 500;

export class TranslationController implements vscode.Disposable {
  readonly client: EngineClient;
  private readonly cache = new LruCache<string, Translation>(CACHE_ENTRIES);
  private loaded?: { readonly model: string; readonly info: Promise<ModelInfo> };
  private reportedFailure?: string;

  constructor(
    enginePath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.client = new EngineClient({
      enginePath,
      onLog: (level, message) => log[level](`[translation] ${message}`),
      onStopped: (reason) => log.error(`[translation] ${reason}`),
    });
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  /** The translation model (configured, else bundled), loaded once per configuration. */
  private model(): Promise<ModelInfo> {
    const location = readTranslationSettings().model || bundledModelPath();
    if (!location) return Promise.reject(new EngineError('model-not-found', vscode.l10n.t('No translation model: the bundled model is missing and transformerInspector.translation.model is empty.')));
    if (this.loaded?.model !== location) {
      const status = vscode.window.setStatusBarMessage(`$(loading~spin) ${vscode.l10n.t('Loading translation model…')}`);
      const info = this.client.call('load', loadParams(location, readSettings(), 'translation')).finally(() => status.dispose());
      info.catch(() => {
        if (this.loaded?.info === info) this.loaded = undefined;
      });
      this.loaded = { model: location, info };
      this.cache.clear();
    }
    return this.loaded.info;
  }

  /** The language to translate `text` into with the translation model, or undefined: nothing to do. */
  async targetFor(text: string): Promise<string | undefined> {
    return translationTarget(text, await this.model(), readTranslationSettings().targetLanguage);
  }

  /** Translates `text` into `target`; rejects with code `cancelled` when the token fires first. */
  async translate(text: string, target: string, token?: vscode.CancellationToken): Promise<Translation> {
    const settings = readTranslationSettings();
    const info = await this.model();
    const key = `${info.path}\u0000${target}\u0000${settings.beamSize}\u0000${text}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const abort = new AbortController();
    const listener = token?.onCancellationRequested(() => abort.abort());
    try {
      const translation = await this.client.call('translate', { text, targetLanguage: target, beamSize: settings.beamSize }, { signal: abort.signal });
      this.cache.set(key, translation);
      return translation;
    } finally {
      listener?.dispose();
    }
  }

  /** Translates `text` again with each head off alone: which heads its translation depends on. */
  async headDependence(text: string, target?: string, onProgress?: (message: string) => void, token?: vscode.CancellationToken): Promise<HeadDependence> {
    await this.model();
    const abort = new AbortController();
    const listener = token?.onCancellationRequested(() => abort.abort());
    try {
      return await this.client.call('headDependence', { text, targetLanguage: target }, { onProgress, signal: abort.signal });
    } finally {
      listener?.dispose();
    }
  }

  /** A fresh translation engine with its restart budget cleared; the model reloads on the next hover. */
  async restart(): Promise<void> {
    this.reportedFailure = undefined;
    await this.client.restart();
  }

  /** Says once per model what keeps translation from working; afterwards only the log does. */
  reportFailure(error: unknown): void {
    if (error instanceof EngineError && error.code === 'cancelled') return;
    const message = errorMessage(error);
    this.log.error(`[translation] ${message}`);
    if (this.reportedFailure === message) return;
    this.reportedFailure = message;
    void vscode.window.showErrorMessage(vscode.l10n.t('Translation is not available: {0}', message));
  }

  dispose(): void {
    this.client.dispose();
  }
}
