// Inside a real VS Code extension host: the extension activates, its commands work end to end
// on real models, failures leave the open model in place, and the engine survives a crash.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TransformerInspectorApi } from '../../../src/extension';
import type { ModelInfo, Tensor } from '../../../src/protocol/inspection';
import type { InspectionSummary } from '../../../src/protocol/panelData';

const EXTENSION_ID = 'transformer-inspector.transformer-inspector';
const COMMANDS = ['openModel', 'inspectSelection', 'showModelInfo', 'showEngineLog', 'restartEngine'].map((name) => `transformerInspector.${name}`);

let api: TransformerInspectorApi;
let fixtures: string;

async function openSample(name: string): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders![0].uri;
  const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, name));
  return vscode.window.showTextDocument(document);
}

suite('Transformer Inspector in VS Code', () => {
  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension<TransformerInspectorApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    api = await extension.activate();
    fixtures = path.join(extension.extensionPath, 'test', 'fixtures', 'models');
  });

  test('activates and registers every command', async () => {
    const registered = await vscode.commands.getCommands(true);
    for (const command of COMMANDS) assert.ok(registered.includes(command), command);
  });

  test('Open Model loads a model folder and reports the provider that runs', async () => {
    const info = (await vscode.commands.executeCommand<ModelInfo>('transformerInspector.openModel', path.join(fixtures, 'marian-tiny')))!;
    assert.equal(info.name, 'marian-tiny');
    assert.equal(info.family, 'encoder-decoder');
    assert.equal(info.executionProvider, 'CPU');
    assert.equal(api.models.current?.name, 'marian-tiny');
  });

  test('Inspect Selection runs the model on the selected text', async () => {
    const editor = await openSample('notes.md');
    const line = editor.document.lineAt(2);
    editor.selection = new vscode.Selection(line.range.start, line.range.end);
    const summary = (await vscode.commands.executeCommand<InspectionSummary>('transformerInspector.inspectSelection'))!;
    assert.equal(summary.text, line.text);
    const encoder = summary.stacks.find((stack) => stack.stack === 'encoder')!;
    // Word-boundary tokens (SentencePiece's bare ▁) may stand for nothing; every other token has characters.
    const words = encoder.tokens.filter((entry) => !entry.special && !/^[\s\u2581]*$/.test(entry.text));
    for (const token of words) assert.equal(line.text.slice(token.start, token.end), token.text);
    assert.equal(words.map((token) => token.text).join(''), line.text.replace(/\s/g, ''));
    const self = summary.groups.find((group) => group.key === 'encoder.self')!;
    assert.deepEqual([self.layers, self.heads, self.queries, self.keys], [3, 4, encoder.tokens.length, encoder.tokens.length]);
    // The panel's questions reach the engine, which still holds the inspection.
    const head = (await api.models.answer({ method: 'attentionHead', params: { id: summary.id, group: 'encoder.self', layer: 2, head: 1 } })) as Tensor;
    assert.ok(head.data instanceof Float32Array);
    assert.deepEqual(head.dims, [encoder.tokens.length, encoder.tokens.length]);
    for (let row = 0; row < encoder.tokens.length; row++) {
      const sum = head.data.subarray(row * encoder.tokens.length, (row + 1) * encoder.tokens.length).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4, `row ${row} sums to ${sum}`);
    }
  });

  test('Inspect Selection with an empty selection uses the current line', async () => {
    const editor = await openSample('sample.ts');
    const lineNumber = editor.document.getText().split('\n').findIndex((text) => /[A-Za-z]{3}/.test(text));
    editor.selection = new vscode.Selection(lineNumber, 0, lineNumber, 0);
    const summary = (await vscode.commands.executeCommand<InspectionSummary>('transformerInspector.inspectSelection'))!;
    assert.equal(summary.text, editor.document.lineAt(lineNumber).text);
  });

  test('Show Model Info opens a read-only summary', async () => {
    await vscode.commands.executeCommand('transformerInspector.showModelInfo');
    const document = vscode.window.activeTextEditor!.document;
    assert.equal(document.uri.scheme, 'transformer-inspector-info');
    const text = document.getText();
    assert.match(text, /Family: +encoder-decoder \(marian\)/);
    assert.match(text, /decoder\.cross +2 tensors/);
  });

  test('a model that fails to open leaves the open model in place', async () => {
    const result = await vscode.commands.executeCommand('transformerInspector.openModel', path.join(fixtures, 'not-a-transformer'));
    assert.equal(result, undefined);
    assert.equal(api.models.current?.name, 'marian-tiny');
    const editor = await openSample('notes.md');
    editor.selection = new vscode.Selection(0, 0, 0, 5);
    const summary = await vscode.commands.executeCommand<InspectionSummary>('transformerInspector.inspectSelection');
    assert.equal(summary?.modelName, 'marian-tiny');
  });

  test('Inspect Selection of a 1 MB line: an inspection of its start with a notice, and the next one works', async () => {
    const line = 'Save the document before closing the window, then open it again. '.repeat(16_000);
    assert.ok(line.length >= 1_000_000);
    const document = await vscode.workspace.openTextDocument({ language: 'plaintext', content: line });
    const editor = await vscode.window.showTextDocument(document);
    editor.selection = new vscode.Selection(0, 0, 0, line.length);
    const pid = api.models.client.pid;
    const summary = (await vscode.commands.executeCommand<InspectionSummary>('transformerInspector.inspectSelection'))!;
    assert.ok(summary, 'an inspection');
    assert.ok(line.startsWith(summary.text) && summary.text.length < 2_000, `the start of the line (${summary.text.length} characters)`);
    const encoder = summary.stacks.find((stack) => stack.stack === 'encoder')!;
    assert.match(summary.notices.join('\n'), new RegExp(`Input truncated to ${encoder.tokens.length} tokens \\(the first ${summary.text.length} of ${line.length} characters\\)`));
    assert.equal(api.models.client.pid, pid, 'the engine process did not restart');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    const notes = await openSample('notes.md');
    notes.selection = new vscode.Selection(0, 0, 0, 5);
    const next = await vscode.commands.executeCommand<InspectionSummary>('transformerInspector.inspectSelection');
    assert.equal(next?.text, notes.document.getText(notes.selection));
  });

  test('after the engine process is killed the next inspection works', async () => {
    const pid = api.models.client.pid;
    assert.ok(pid);
    process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const editor = await openSample('notes.md');
    editor.selection = new vscode.Selection(0, 0, 0, 5);
    const summary = await vscode.commands.executeCommand<InspectionSummary>('transformerInspector.inspectSelection');
    assert.equal(summary?.modelName, 'marian-tiny');
    assert.notEqual(api.models.client.pid, pid);
  });
});
