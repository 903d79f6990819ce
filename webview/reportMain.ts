// Entry of the offline HTML report: the same panel, fed by the inspection embedded in the page
// (`#ti-inspection`, or `#ti-translation`), questions answered in the page, exports downloaded.

import type { Inspection, Translation } from '../src/protocol/inspection';
import type { PanelDataSource } from '../src/protocol/panelData';
import { answerPanelQuestion, summarize } from '../src/analysis/inspectionSummary';
import { decodeInspection } from '../src/report/inspectionCodec';
import { InspectorApp } from './app';
import type { ExportFile } from './exporter';
import { pickLanguage, setStrings } from './strings';

function download(file: ExportFile): void {
  const bytes = file.encoding === 'base64' ? Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0)) : new TextEncoder().encode(file.data);
  const url = URL.createObjectURL(new Blob([bytes], { type: file.mime }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function embedded(id: string): string | undefined {
  return document.getElementById(id)?.textContent ?? undefined;
}

/** The labels: the language the report was written for, else the first of the reader's languages that it carries. */
function applyStrings(): void {
  const text = embedded('ti-strings');
  if (!text) return;
  const { fixed, tables } = JSON.parse(text) as { fixed?: string; tables: Record<string, Record<string, unknown>> };
  const language = fixed ?? pickLanguage(Object.keys(tables), navigator.languages.length ? navigator.languages : [navigator.language]);
  if (language && tables[language]) setStrings(tables[language]);
  document.documentElement.lang = language ?? 'en';
}

applyStrings();
document.body.classList.add('ti-report');
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('main'));
const app = new InspectorApp(root, { save: download, saveState: () => {} });
const inspectionText = embedded('ti-inspection');
const translationText = embedded('ti-translation');
try {
  if (inspectionText) {
    const inspection = decodeInspection(inspectionText);
    // Answers come a task later, as from the engine, so a slow one never blocks the click that asked.
    const source: PanelDataSource = {
      call: (method, params) => new Promise((resolve, reject) => setTimeout(() => {
        try {
          resolve(answerPanelQuestion(inspection as Inspection, method, params));
        } catch (error) {
          reject(error);
        }
      })),
    };
    app.showInspection(summarize(inspection, 'report'), source);
  } else if (translationText) {
    app.showTranslation(decodeInspection(translationText) as unknown as Translation);
  }
} catch (error) {
  app.showError(error instanceof Error ? error.message : String(error));
}
