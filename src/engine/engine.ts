// The engine's one front door: holds the loaded model and answers load, info, inspect, generate.
// The engine process and the CLI both drive this class; it never imports vscode.

import type { Inspection, ModelInfo, Translation } from '../protocol/inspection';
import { diagnosesOf } from './diagnoses';
import { EngineError } from './engineError';
import { generate, GenerateOptions } from './generation';
import { TRANSLATION_BEAM_SIZE } from '../protocol/engineProtocol';
import { inspect, InspectRequest } from './inspector';
import { disposeModel, LoadedModel, loadModel, LoadOptions, ProgressReporter } from './loadedModel';

export class Engine {
  private model?: LoadedModel;

  get loaded(): boolean {
    return this.model !== undefined;
  }

  /** Loads a model (replacing any other), then runs it once to prove it works and warm it up. */
  async load(location: string, options: LoadOptions = {}, progress: ProgressReporter = () => {}): Promise<ModelInfo> {
    const model = await loadModel(location, options, progress);
    try {
      progress('Warming up');
      const warmUp = await inspect(model, { text: 'Hello world', target: model.spec.family === 'encoder-decoder' ? 'Hello' : undefined });
      const info = { ...withMeasuredSizes(model.info, warmUp), diagnoses: diagnosesOf(model, warmUp) };
      const previous = this.model;
      this.model = { ...model, info };
      if (previous) await disposeModel(previous);
      return info;
    } catch (error) {
      await disposeModel(model);
      throw error;
    }
  }

  info(): ModelInfo {
    return this.current().info;
  }

  inspect(request: InspectRequest): Promise<Inspection> {
    return inspect(this.current(), request);
  }

  /** Translation proper: an encoder-decoder model (a decoder-only one would only continue the text). */
  async translate(text: string, options: GenerateOptions = {}): Promise<Translation> {
    const model = this.current();
    if (model.spec.family !== 'encoder-decoder') {
      throw new EngineError('input', `Translation needs an encoder-decoder model; ${model.spec.name} is ${model.spec.family}.`);
    }
    return generate(model, text, { ...options, beamSize: options.beamSize ?? TRANSLATION_BEAM_SIZE });
  }

  /** Generation with any model that has a decoder: a translation, or a decoder-only model's continuation. */
  generate(text: string, options: GenerateOptions = {}): Promise<Translation> {
    return generate(this.current(), text, options);
  }

  current(): LoadedModel {
    if (!this.model) throw new EngineError('no-model', 'No model is loaded. Open a model first.');
    return this.model;
  }

  async dispose(): Promise<void> {
    if (this.model) await disposeModel(this.model);
    this.model = undefined;
  }
}

/** Fills sizes config.json did not state from what the model actually produced. */
function withMeasuredSizes(info: ModelInfo, inspection: Inspection): ModelInfo {
  const heads = info.heads || inspection.attention[0]?.tensor.dims[1] || 0;
  const hidden = inspection.stacks.find((stack) => stack.hiddenStates)?.hiddenStates;
  return { ...info, heads, hiddenSize: info.hiddenSize || (hidden ? hidden.dims[2] : 0) };
}
