// `npm run demo`: the bundled model end to end with no arguments — a few translations each way
// and one full inspection written to disk, with where it went and how long each step took.

import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../engine/engine';
import { htmlReport } from '../report/htmlReport';
import { writeJsonFile } from './inspectCommand';

const SENTENCES: readonly { readonly text: string; readonly to: 'zh' | 'en' }[] = [
  { text: 'Open the file in a new window.', to: 'zh' },
  { text: 'Save your changes before closing the document.', to: 'zh' },
  { text: 'The selected cells could not be copied.', to: 'zh' },
  { text: '请输入文件名。', to: 'en' },
  { text: '无法连接到服务器。', to: 'en' },
  { text: '插入一个新的表格。', to: 'en' },
];

export async function runDemo(engine: Engine, modelName: string, loadMs: number, outputDir: string): Promise<number> {
  const info = engine.info();
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`Transformer Inspector demo: ${modelName} (${info.family}, ${(info.parameterCount / 1e6).toFixed(1)} M weights stored) on ${info.executionProvider}`);
  out(`  loaded in ${loadMs.toFixed(0)} ms`);
  const results = [];
  for (const direction of ['zh', 'en'] as const) {
    out();
    out(direction === 'zh' ? 'English → Chinese' : 'Chinese → English');
    for (const { text } of SENTENCES.filter((sentence) => sentence.to === direction)) {
      const translation = await engine.translate(text, { targetLanguage: direction });
      out(`  ${text}\n    → ${translation.text}   (${translation.timingsMs.total.toFixed(0)} ms, ${translation.tokens.length} tokens)`);
      results.push({ source: text, to: direction, translation: translation.text, ms: Number(translation.timingsMs.total.toFixed(1)) });
    }
  }
  mkdirSync(outputDir, { recursive: true });
  const translationsFile = path.join(outputDir, 'translations.json');
  writeFileSync(translationsFile, `${JSON.stringify(results, null, 2)}\n`);
  const sample = SENTENCES[0];
  const reference = await engine.translate(sample.text, { targetLanguage: sample.to });
  const inspection = await engine.inspect({ text: sample.text, target: reference.text, targetLanguage: sample.to });
  const inspectionFile = path.join(outputDir, 'inspection.json');
  const written = writeJsonFile(inspection, inspectionFile);
  const reportFile = path.join(outputDir, 'inspection.html');
  writeFileSync(reportFile, htmlReport(inspection));
  out();
  out(`Inspection of "${sample.text}" → "${reference.text}" (teacher-forced): ${inspection.attention.map((group) => `${group.stack}.${group.kind} [${group.tensor.dims.join('×')}]`).join(', ')}`);
  out(`  ${Object.entries(inspection.timingsMs).map(([stage, ms]) => `${stage} ${ms.toFixed(1)} ms`).join(', ')}`);
  out();
  out(`Wrote ${translationsFile}`);
  out(`Wrote ${inspectionFile} (${(written / 1024).toFixed(0)} KB; schema: docs/inspection-json.md)`);
  out(`Wrote ${reportFile} (the inspection panel as one offline page: open it in a browser)`);
  return 0;
}
