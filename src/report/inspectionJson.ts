// Writes an Inspection as the documented JSON (docs/inspection-json.md): nested arrays, values
// rounded to float32 precision, streamed in pieces so large inspections never build one string.

import { attentionGroupKey, Inspection, Tensor, Token } from '../protocol/inspection';

export const INSPECTION_SCHEMA_VERSION = 1;

type Write = (chunk: string) => void;

/** Seven significant digits: what a float32 holds. */
function number(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(7))) : 'null';
}

function writeTensor(write: Write, tensor: Tensor): void {
  const { dims, data } = tensor;
  const rowLength = dims[dims.length - 1] ?? 1;
  const visit = (axis: number, offset: number): void => {
    if (axis === dims.length - 1) {
      const row = new Array<string>(rowLength);
      for (let i = 0; i < rowLength; i++) row[i] = number(data[offset + i]);
      write(`[${row.join(',')}]`);
      return;
    }
    const stride = dims.slice(axis + 1).reduce((product, dim) => product * dim, 1);
    write('[');
    for (let i = 0; i < dims[axis]; i++) {
      if (i > 0) write(',');
      visit(axis + 1, offset + i * stride);
    }
    write(']');
  };
  if (dims.length === 0) write(number(data[0]));
  else visit(0, 0);
}

function tokensJson(tokens: readonly Token[]): string {
  return JSON.stringify(tokens.map(({ id, text, start, end, special }) => ({ id, text, start, end, special })));
}

export function writeInspectionJson(inspection: Inspection, write: Write): void {
  const single = inspection.family !== 'encoder-decoder';
  const [first, second] = inspection.stacks;
  const field = (name: string, value: string) => write(`,\n  ${JSON.stringify(name)}: ${value}`);
  write(`{\n  "schemaVersion": ${INSPECTION_SCHEMA_VERSION}`);
  field('model', JSON.stringify({ name: inspection.modelName, family: inspection.family }));
  field('executionProvider', JSON.stringify(inspection.executionProvider));
  field('text', JSON.stringify(inspection.text));
  if (inspection.target !== undefined) field('target', JSON.stringify(inspection.target));
  field('tokens', tokensJson(first.tokens));
  if (second) field('targetTokens', tokensJson(second.tokens));

  write(',\n  "attention": {');
  inspection.attention.forEach((group, i) => {
    write(`${i ? ',' : ''}\n    ${JSON.stringify(attentionGroupKey(inspection.family, group.stack, group.kind))}: `);
    writeTensor(write, group.tensor);
  });
  write('\n  }');

  type Stack = (typeof inspection.stacks)[number];
  const perStack = (name: string, present: readonly Stack[], writeOne: (stack: Stack) => void) => {
    if (present.length === 0) return;
    write(`,\n  ${JSON.stringify(name)}: `);
    if (single) {
      writeOne(present[0]);
      return;
    }
    write('{');
    present.forEach((stack, i) => {
      write(`${i ? ',' : ''}\n    ${JSON.stringify(stack.stack)}: `);
      writeOne(stack);
    });
    write('\n  }');
  };
  for (const [name, pick] of [
    ['hiddenStates', (stack: Stack) => stack.hiddenStates],
    ['embeddings', (stack: Stack) => stack.embeddings],
    ['ffnActivations', (stack: Stack) => stack.ffnActivations],
  ] as const) {
    perStack(name, inspection.stacks.filter((stack) => pick(stack)), (stack) => writeTensor(write, pick(stack)!));
  }
  perStack('logitLens', inspection.stacks.filter((stack) => stack.logitLens), (stack) => {
    const lens = stack.logitLens!;
    const [layers, tokens, k] = lens.dims;
    const nested = (at: (index: number) => number | string) =>
      JSON.stringify(Array.from({ length: layers }, (_, l) => Array.from({ length: tokens }, (_, t) => Array.from({ length: k }, (_, r) => at((l * tokens + t) * k + r)))));
    write(`{ "ids": ${nested((i) => lens.ids[i])}, "tokens": ${nested((i) => lens.tokenTexts[lens.ids[i]] ?? '')}, "probabilities": ${nested((i) => Number(lens.probabilities[i].toPrecision(5)))} }`);
  });
  if (inspection.logits) {
    write(',\n  "logits": ');
    writeTensor(write, inspection.logits);
  }
  if (inspection.qkv) {
    write(',\n  "qkv": {');
    inspection.qkv.forEach((group, i) => {
      write(`${i ? ',' : ''}\n    ${JSON.stringify(attentionGroupKey(inspection.family, group.stack, group.kind))}: {`);
      for (const part of ['queries', 'keys', 'values'] as const) {
        write(`\n      ${JSON.stringify(part)}: `);
        writeTensor(write, group[part]);
        write(',');
      }
      write(`\n      "scale": ${JSON.stringify(group.scale.map((value) => Number(value.toPrecision(7))))}`);
      if (group.queryScale) write(`,\n      "queryScale": ${JSON.stringify(group.queryScale.map((value) => Number(value.toPrecision(7))))}`);
      write('\n    }');
    });
    write('\n  }');
  }
  if (inspection.ablated) field('ablated', JSON.stringify(inspection.ablated.map(({ stack, kind, layer, head }) => `${attentionGroupKey(inspection.family, stack, kind)}:${layer}:${head}`)));
  field('timingsMs', JSON.stringify(Object.fromEntries(Object.entries(inspection.timingsMs).map(([key, ms]) => [key, Number(ms.toFixed(3))]))));
  field('notices', JSON.stringify(inspection.notices));
  write('\n}\n');
}
