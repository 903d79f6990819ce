// The model summary as plain text, for `transformer-inspector info` and "Show Model Info".

import type { ModelInfo } from '../protocol/inspection';

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 2 : 1)} MB`;
}

export function formatCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)} B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(2)} M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)} k`;
  return String(count);
}

export function modelInfoText(info: ModelInfo): string {
  const layers = Object.entries(info.layers)
    .map(([stack, count]) => (info.family === 'encoder-decoder' ? `${count} ${stack}` : String(count)))
    .join(' + ');
  const lines = [
    `${info.name}`,
    `  Path:            ${info.path}`,
    `  Family:          ${info.family} (${info.modelType})`,
    `  Layers:          ${layers}`,
    `  Heads:           ${info.heads || 'unknown'}`,
    `  Hidden size:     ${info.hiddenSize || 'unknown'}`,
    `  Vocabulary:      ${info.vocabSize ? info.vocabSize.toLocaleString('en') : 'unknown'}`,
    `  Max positions:   ${info.maxPositions || 'no limit stated'}`,
    `  Parameters:      ${formatCount(info.parameterCount)} (${info.parameterCount.toLocaleString('en')} stored values; copies shared between files counted once)`,
    `  Weights:         ${info.variant}`,
    `  Runs on:         ${info.executionProvider}${info.cpuThreads ? ` (${info.cpuThreads} CPU thread${info.cpuThreads === 1 ? '' : 's'})` : ''}${triedText(info)}`,
    ...(info.languageTokens ? [`  Languages:       ${Object.keys(info.languageTokens).join(', ')} (by target-language token)`] : []),
    ...(info.languagePair ? [`  Translates:      ${info.languagePair.source} → ${info.languagePair.target}`] : []),
    '  ONNX files:',
    ...info.onnxFiles.flatMap((file) => [
      `    ${file.file}  ${file.role}, opset ${file.opset}, ${megabytes(file.sizeBytes)}${file.externalDataBytes ? ` + ${megabytes(file.externalDataBytes)} external data` : ''}${file.producer ? `, from ${file.producer}` : ''}`,
      ...(file.openedUp ?? []).map((opened) => `      rewritten: ${opened}`),
    ]),
    '  Observable:',
    ...(info.observable.length
      ? info.observable.map((group) => `    ${group.name.padEnd(20)} ${group.layers} ${group.layers === 1 ? 'tensor' : 'tensors'}`)
      : ['    nothing']),
  ];
  if (info.diagnoses.length) lines.push('  Diagnoses:', ...info.diagnoses.map((entry) => `    ${entry.message}`));
  if (info.unobservable.length) {
    lines.push('  Not observable:', ...info.unobservable.map((entry) => `    ${entry.what}: ${entry.why}`));
  }
  return lines.join('\n');
}

function triedText(info: ModelInfo): string {
  const failed = info.providersTried.filter((attempt) => attempt.error).map((attempt) => attempt.name);
  return failed.length ? ` (unavailable: ${failed.join(', ')})` : '';
}
