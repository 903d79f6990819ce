// The engine's answers to the panel's questions about an inspection it keeps: most come from
// src/analysis as in the offline report; the logit lens, FFN activations and rollout need onnxruntime.

import { answerPanelQuestion, groupTensor, headQkvOf, topUnits } from '../analysis/inspectionSummary';
import type { EngineMethods, PanelQuestion } from '../protocol/engineProtocol';
import type { Inspection } from '../protocol/inspection';
import type { PanelDataMethods } from '../protocol/panelData';
import { EngineError, errorMessage } from './engineError';
import { rolloutInEngine } from './rolloutSession';

export async function answerInEngine(inspection: Inspection, { method, params }: PanelQuestion): Promise<EngineMethods['panelQuestion']['result']> {
  try {
    switch (method) {
      case 'attentionRollout':
        // Eleven 512² matrix products are seconds in JavaScript and milliseconds in onnxruntime.
        return await rolloutInEngine(groupTensor(inspection, (params as { group: string }).group));
      case 'logitLens': {
        const name = (params as { stack: string }).stack;
        const stack = inspection.stacks.find((entry) => entry.stack === name);
        const lens = stack?.logitLens ?? (await stack?.deferredLogitLens?.());
        if (!lens) throw new EngineError('input', `The ${name} stack has no output head, so it has no logit lens.`);
        return lens;
      }
      case 'headQkv': {
        const p = params as PanelDataMethods['headQkv']['params'];
        const layer = await inspection.deferredQkv?.layer?.(p.group, p.layer);
        if (layer) return headQkvOf(inspection, [layer], { ...p, layer: 0 });
        const groups = inspection.qkv ?? (await inspection.deferredQkv?.fetch());
        if (!groups) throw new EngineError('input', `The queries, keys and values of ${p.group} are not observable in this model.`);
        return headQkvOf(inspection, groups, p);
      }
      case 'ablationEffect':
        return await interventionsOf(inspection).ablate((params as PanelDataMethods['ablationEffect']['params']).heads);
      case 'inputTranslation':
        return await interventionsOf(inspection).translation();
      case 'nextTokens': {
        const p = params as PanelDataMethods['nextTokens']['params'];
        return interventionsOf(inspection).nextTokens(p.position, p.count);
      }
      case 'ffnTopUnits': {
        const p = params as PanelDataMethods['ffnTopUnits']['params'];
        const stack = inspection.stacks.find((entry) => entry.stack === p.stack);
        return topUnits(stack?.ffnActivations ?? (await stack?.deferredFfnActivations?.fetch()), p);
      }
      default:
        return answerPanelQuestion(inspection, method, params as never);
    }
  } catch (error) {
    throw error instanceof EngineError ? error : new EngineError('input', errorMessage(error));
  }
}

function interventionsOf(inspection: Inspection): NonNullable<Inspection['interventions']> {
  if (!inspection.interventions) throw new EngineError('input', 'This inspection cannot be re-run with heads switched off: inspect again from the panel.');
  return inspection.interventions;
}
