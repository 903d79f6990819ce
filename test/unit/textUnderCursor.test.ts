// What the hover translates: comments (line and block, markers inside strings ignored),
// strings, prose sentences, identifiers split into words — and nothing elsewhere.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findTextAt, HoverTrigger, splitIdentifier } from '../../src/hover/textUnderCursor';

function at(source: string, marker: string, languageId = 'typescript', trigger: HoverTrigger = 'commentsAndStrings') {
  const lines = source.split('\n');
  const line = lines.findIndex((text) => text.includes(marker));
  assert.ok(line >= 0, `marker ${marker} not in source`);
  return findTextAt((index) => lines[index] ?? '', line, lines[line].indexOf(marker), languageId, trigger);
}

const TS = [
  '// 注意力权重在每个头上的总和为一。',
  'const url = "http://example.com"; // fetch the page',
  '/**',
  ' * Returns the sum of all weights.',
  ' */',
  'const label = "Open the file";',
  'function getUserName(max_seq_len: number) { return a + b; } /* inline note */ const z = 1;',
].join('\n');

describe('text under the cursor', () => {
  it('a line comment, without its marker', () => {
    assert.deepEqual(at(TS, '注意力'), { kind: 'comment', text: '注意力权重在每个头上的总和为一。', line: 0, start: 3, end: 19 });
  });

  it('a comment after code, ignoring // inside a string', () => {
    const span = at(TS, 'fetch')!;
    assert.equal(span.kind, 'comment');
    assert.equal(span.text, 'fetch the page');
    assert.equal(at(TS, 'example'), undefined, 'a URL is not text to translate');
  });

  it('a 100,000-character line of strings holding // finds the comment at its end, and the string in its middle', () => {
    const line = `const s = ${'"// x" + '.repeat(11_200)}"";  // 保存文档`;
    assert.ok(line.length >= 100_000);
    const comment = findTextAt(() => line, 0, line.length - 2, 'typescript', 'commentsAndStrings')!;
    assert.deepEqual([comment.kind, comment.text, comment.start], ['comment', '保存文档', line.length - 4]);
    const inString = findTextAt(() => line, 0, 50_003, 'typescript', 'all');
    assert.notEqual(inString?.kind, 'comment', 'a marker inside a string starts no comment');
  });

  it('a line inside a block comment, without the leading star', () => {
    assert.deepEqual(at(TS, 'Returns'), { kind: 'comment', text: 'Returns the sum of all weights.', line: 3, start: 3, end: 34 });
  });

  it('an inline block comment, and not the code after it', () => {
    assert.equal(at(TS, 'inline')!.text, 'inline note');
    assert.equal(at(TS, 'const z'), undefined);
  });

  it('a string literal', () => {
    assert.deepEqual(at(TS, 'Open the'), { kind: 'string', text: 'Open the file', line: 5, start: 15, end: 28 });
  });

  it('code itself only with the "all" trigger, identifiers split into words', () => {
    assert.equal(at(TS, 'getUserName'), undefined);
    assert.equal(at(TS, 'getUserName', 'typescript', 'all')!.text, 'get user name');
    assert.equal(at(TS, 'max_seq_len', 'typescript', 'all')!.text, 'max seq len');
    assert.equal(splitIdentifier('HTTPServerError'), 'http server error');
  });

  it('no strings that are paths, keys or format codes', () => {
    for (const literal of ['src/app/main.ts', 'user_id', 'app.config.json', '%s:%d', '{name}']) {
      assert.equal(at(`const k = "${literal}";`, literal.slice(0, 2)), undefined, literal);
    }
    assert.equal(at('const k = "保存";', '保存')!.text, '保存');
  });

  it('strings only when the trigger allows them', () => {
    assert.equal(at(TS, 'Open the', 'typescript', 'comments'), undefined);
  });

  it('nothing on punctuation, numbers or blank space', () => {
    assert.equal(at('const x = 1 + 2;', '+', 'typescript', 'all'), undefined);
    assert.equal(at('value = 42 // 1234', '1234'), undefined);
    assert.equal(at('   ;;;   ', ';'), undefined);
  });

  it('the sentence under the cursor in prose', () => {
    const text = 'First sentence here. 第二句话在这里。Third one!';
    assert.equal(at(text, '第二', 'markdown')!.text, '第二句话在这里。');
    assert.equal(at(text, 'Third', 'markdown')!.text, 'Third one!');
    assert.equal(at(text, 'First', 'plaintext')!.text, 'First sentence here.');
  });

  it('comment markers of other languages', () => {
    assert.equal(at('x = 1  # 计算平均值', '计算', 'python')!.text, '计算平均值');
    assert.equal(at('SELECT 1; -- count rows', 'count', 'sql')!.text, 'count rows');
    assert.equal(at('<!-- 页面标题 --> <h1>', '页面', 'html')!.text, '页面标题');
  });
});
