// Translation inside a real VS Code extension host with the bundled model: the commands, the
// hover's edit command with undo, the toggle, and the cache.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TransformerInspectorApi } from '../../../src/extension';
import type { Translation } from '../../../src/protocol/inspection';

const EXTENSION_ID = 'transformer-inspector.transformer-inspector';
let api: TransformerInspectorApi;

async function openSample(name: string): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders![0].uri;
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, name)));
}

suite('Translation in VS Code', () => {
  suiteSetup(async () => {
    api = await vscode.extensions.getExtension<TransformerInspectorApi>(EXTENSION_ID)!.activate();
  });

  test('Translate Selection translates a Chinese line into English with the bundled model', async () => {
    const editor = await openSample('notes.md');
    const line = editor.document.getText().split('\n').findIndex((text) => /\p{Script=Han}/u.test(text));
    editor.selection = new vscode.Selection(line, 0, line, 0);
    const translation = (await vscode.commands.executeCommand<Translation>('transformerInspector.translateSelection'))!;
    assert.ok(translation, 'a translation');
    assert.equal(translation.targetLanguage, 'en');
    assert.match(translation.text, /[A-Za-z]{2,}/);
    assert.doesNotMatch(translation.text, /\p{Script=Han}/u);
    const [generated, source] = translation.alignment!.dims;
    assert.equal(generated, translation.tokens.length);
    assert.equal(source, translation.sourceTokens.length);
    // With transformerInspector.threads at 0, the translator runs on one thread (faster for its small decoder steps).
    assert.equal((await api.translator.client.call('info', {})).cpuThreads, 1);
  });

  test('Show Translation Attention takes the hover link’s arguments', async () => {
    const translation = (await vscode.commands.executeCommand<Translation>('transformerInspector.showTranslationAttention', { text: 'Open the file.', targetLanguage: 'zh' }))!;
    assert.equal(translation.targetLanguage, 'zh');
    assert.match(translation.text, /\p{Script=Han}/u);
    assert.equal(translation.crossAttention!.dims[2], translation.tokens.length);
  });

  test('translations are cached: the same text again is answered from the cache', async () => {
    const before = api.translator.cacheSize;
    const first = await api.translator.translate('Save the document.', 'zh');
    const second = await api.translator.translate('Save the document.', 'zh');
    assert.equal(second, first);
    assert.equal(api.translator.cacheSize, before + 1);
  });

  test('Replace with translation edits the document and undo restores it', async () => {
    const editor = await openSample('sample.ts');
    const original = editor.document.lineAt(1).text;
    const start = original.indexOf('注');
    const applied = await vscode.commands.executeCommand<boolean>('transformerInspector.replaceWithTranslation', {
      uri: editor.document.uri.toString(),
      range: [1, start, 1, original.length],
      text: 'The attention weights sum to one.',
    });
    assert.equal(applied, true);
    assert.equal(editor.document.lineAt(1).text, '// The attention weights sum to one.');
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.lineAt(1).text, original);
    assert.equal(await vscode.commands.executeCommand('transformerInspector.replaceWithTranslation', { uri: 42 }), false, 'malformed arguments are refused');
  });

  test('after its engine was killed and the budget spent, Restart Engine brings translation back', async () => {
    const client = api.translator.client;
    await api.translator.translate('Open the window.', 'zh');
    // Five deaths in the middle of requests spend the budget: translation stops and says why.
    for (let crash = 0; crash < 5; crash++) {
      const long = `Close window number ${crash} and save every document that was changed since it was opened. `.repeat(3);
      const pending = api.translator.translate(long, 'zh').then(
        () => 'answered',
        (error: Error) => error.message,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      process.kill(client.pid!, 'SIGKILL');
      await pending;
    }
    assert.equal(client.stopped, true, 'the restart budget is spent');
    await assert.rejects(api.translator.translate('Open the file again.', 'zh'), /Restart Engine/);
    await vscode.commands.executeCommand('transformerInspector.restartEngine');
    assert.equal(client.stopped, false);
    const translation = await api.translator.translate('Open the file again.', 'zh');
    assert.match(translation.text, /\p{Script=Han}/u);
  });

  test('a hover on a 100,000-character line translates its start and says so; the next hover works', async () => {
    const hoverText = async (document: vscode.TextDocument, position: vscode.Position) => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position);
      return hovers.flatMap((hover) => hover.contents.map((part) => (typeof part === 'string' ? part : part.value))).join('\n');
    };
    const prose = await vscode.workspace.openTextDocument({ language: 'markdown', content: `${'保存文档后再关闭窗口'.repeat(10_000)}\n\n请输入文件名。\n` });
    const long = await hoverText(prose, new vscode.Position(0, 50_000));
    assert.match(long, /Only the first 400 of 100000 characters were translated/);
    assert.match(long.split('\n')[0], /[A-Za-z]{2,}/, 'an English translation');
    assert.match(await hoverText(prose, new vscode.Position(2, 2)), /Transformer Inspector/, 'the next hover');
    // A line of code made of string literals holding comment markers, and a comment at its end.
    const code = await vscode.workspace.openTextDocument({ language: 'typescript', content: `const s = ${'"//" + '.repeat(15_000)}"";  // 保存文档\n` });
    assert.ok(code.lineAt(0).text.length >= 100_000);
    assert.match(await hoverText(code, new vscode.Position(0, code.lineAt(0).text.length - 2)), /Transformer Inspector/);
    for (const document of [prose, code]) {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  test('Toggle Hover Translation flips the setting', async () => {
    const config = () => vscode.workspace.getConfiguration('transformerInspector');
    const initial = config().get<boolean>('hover.enabled');
    assert.equal(await vscode.commands.executeCommand('transformerInspector.toggleHoverTranslation'), !initial);
    assert.equal(config().get<boolean>('hover.enabled'), !initial);
    await vscode.commands.executeCommand('transformerInspector.toggleHoverTranslation');
    assert.equal(config().get<boolean>('hover.enabled'), initial);
  });
});
