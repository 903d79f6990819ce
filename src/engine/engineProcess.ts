// Entry point of the forked engine process: serves engine requests from the extension host
// over IPC. A native crash here ends only this process; the host respawns it.

import { headDependence } from './headDependence';
import type { EngineMessage, EngineMethods } from '../protocol/engineProtocol';
import { Handlers, RpcFailure, RpcServer } from '../protocol/rpc';
import { randomUUID } from 'node:crypto';
import { summarize } from '../analysis/inspectionSummary';
import { answerInEngine } from './panelAnswers';
import type { Inspection } from '../protocol/inspection';
import { Engine } from './engine';
import { EngineError, errorMessage, isEngineError } from './engineError';
import { LruCache } from './lruCache';
import type { ModelVariant } from './modelFolder';
import { onnxruntimeVersion } from './sessionRun';

if (!process.send) {
  console.error('engineProcess must be started by the extension host (child_process.fork).');
  process.exit(2);
}

const engine = new Engine();
/** The last inspections, kept for the panel's questions; older ones are dropped. */
const kept = new LruCache<string, Inspection>(4);
const send = (message: EngineMessage) => process.send!(message);
const log = (level: 'info' | 'warn' | 'error', message: string) => send({ kind: 'log', level, message });

const handlers: Handlers<EngineMethods> = {
  async load(params, { progress }) {
    const started = performance.now();
    log('info', `Loading ${params.model}`);
    const info = await engine.load(params.model, { ...params, variant: params.variant as ModelVariant | undefined }, (stage) => {
      log('info', `  ${stage}`);
      progress(stage);
    });
    const threads = info.cpuThreads ? `${info.cpuThreads} thread${info.cpuThreads === 1 ? '' : 's'}` : 'threads chosen by onnxruntime';
    log('info', `Loaded ${info.name} (${info.family}) on ${info.executionProvider} (onnxruntime ${onnxruntimeVersion}) in ${Math.round(performance.now() - started)} ms; ${threads}`);
    for (const attempt of info.providersTried.filter((entry) => entry.error)) log('warn', `  ${attempt.name} unavailable: ${attempt.error}`);
    return info;
  },
  async info() {
    return engine.info();
  },
  async inspect(params) {
    // The panel asks for the logit lens and the FFN activations only when their view opens.
    const inspection = await engine.inspect({ ...params, activationsView: 'on-demand' });
    const id = randomUUID();
    kept.set(id, inspection);
    log('info', `Inspected ${inspection.stacks.map((stack) => stack.tokens.length).join('+')} tokens in ${Math.round(inspection.timingsMs.total)} ms`);
    return summarize(inspection, id);
  },
  async panelQuestion(question) {
    const inspection = kept.get(question.params.id);
    if (!inspection) throw new EngineError('input', 'This inspection is no longer held by the engine; run Inspect Selection again.');
    return answerInEngine(inspection, question);
  },
  async translate(params, { signal }) {
    const translation = await engine.translate(params.text, { ...params, signal });
    log('info', `Translated ${translation.sourceTokens.length} → ${translation.tokens.length} tokens in ${Math.round(translation.timingsMs.total)} ms`);
    return translation;
  },
  async headDependence(params, { signal, progress }) {
    const result = await headDependence(engine.current(), params.text, { targetLanguage: params.targetLanguage, signal, onHead: (done, total) => progress(`${done}/${total}`) });
    log('info', `Translated with each of ${result.heads.length} heads off in ${Math.round(result.elapsedMs)} ms`);
    return result;
  },
  hang() {
    if (process.env.TRANSFORMER_INSPECTOR_TEST_HOOKS !== '1') return Promise.reject(new Error('Unknown method hang'));
    return new Promise<never>(() => {});
  },
};

const server = new RpcServer<EngineMethods>(send, handlers, (error) => {
  const code = isEngineError(error) || error instanceof RpcFailure ? error.code : 'internal';
  // Anything not raised on purpose is a bug: keep its stack in the log.
  if (code === 'internal') log('error', error instanceof Error && error.stack ? error.stack : errorMessage(error));
  return { code, message: errorMessage(error) };
});

process.on('message', (message: EngineMessage) => server.handle(message));
process.on('disconnect', () => process.exit(0));
