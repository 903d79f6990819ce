// Long and pathological inputs — one character a million times, 200,000 newlines, 50,000 emoji with
// skin tones, a million mixed characters — through every kind of tokenizer: in the engine, in the
// engine process run on a small stack (the guard against recursion over the input), and through the
// CLI as users run it, with the text in an argument, in a file and on standard input.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { Engine } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/engineError';
import { widestWindow } from '../../src/engine/inputWindow';
import type { Inspection, Token } from '../../src/protocol/inspection';
import { seededRandom } from '../webview/syntheticInspection';
import { REPO_ROOT } from './fixtures';
import { assertOffsetsMapBack, BUNDLED, TOKENIZER_MODELS } from './tokenizerCases';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const ENGINE = path.join(REPO_ROOT, 'dist', 'engineProcess.js');
/** KiB of stack for the guard runs: far less than a recursion or spread over 10⁵ characters needs, and than Node's default (984). */
const SMALL_STACK_KIB = 200;

/** Whole code points of many kinds, so the million-character line has words, numbers, CJK, emoji and controls. */
const MIXED_ALPHABET = [...'abcdefghij XYZ 0123456789 .,;:!?-_/\\\'"()[]{}\t', '中', '文', '模', '型', 'é', 'ß', 'ж', 'م', '👍🏽', '🚀', '\u0301', '\u200d', '\u0000'];

function mixedLine(length: number): string {
  const next = seededRandom(7);
  let text = '';
  while (text.length < length) text += MIXED_ALPHABET[Math.floor(next() * MIXED_ALPHABET.length)];
  return text.slice(0, length);
}

const LONG_INPUTS: Record<string, string> = {
  'one letter 100,000 times': 'a'.repeat(100_000),
  'one letter 1,000,000 times': 'a'.repeat(1_000_000),
  'one Han character 100,000 times': '中'.repeat(100_000),
  '200,000 newlines': '\n'.repeat(200_000),
  '50,000 emoji with skin-tone modifiers': '👍🏽'.repeat(50_000),
  '300,000 digits': '7'.repeat(300_000),
  '100,000 spaces, then a 100,000-letter word': `${' '.repeat(100_000)}${'b'.repeat(100_000)}`,
  'a 1,000,000-character mixed line': mixedLine(1_000_000),
};
/** The ones the small-stack guard and the CLI's argument test take. */
const LONGEST = ['one letter 1,000,000 times', '100,000 spaces, then a 100,000-letter word', 'a 1,000,000-character mixed line'];

/** An answer: tokens of a prefix of the input, within the limit, offsets into it, and a notice when cut. */
function assertAnswer(input: string, inspection: Pick<Inspection, 'text' | 'notices'>, tokens: readonly Token[], limit: number, label: string): void {
  assert.ok(input.startsWith(inspection.text), `${label}: the inspected text is a prefix of the input`);
  assert.ok(inspection.text.length <= widestWindow(limit), `${label}: ${inspection.text.length} characters tokenized, more than ${widestWindow(limit)}`);
  assert.ok(tokens.length >= 1 && tokens.length <= limit, `${label}: ${tokens.length} tokens for a limit of ${limit}`);
  assertOffsetsMapBack(inspection.text, tokens, label);
  if (inspection.text.length < input.length) {
    assert.match(inspection.notices.join('\n'), new RegExp(`(Input truncated to ${tokens.length} tokens|Only the first ${inspection.text.length} of ${input.length} characters were tokenized)`), label);
  }
}

/** Whitespace-only input is refused as empty; everything else gets an answer. */
const refusedAsEmpty = (input: string) => input.trim() === '';

describe('long inputs through the engine, every tokenizer', () => {
  for (const [name, folder] of Object.entries(TOKENIZER_MODELS)) {
    it(`${name}: an answer within the model's limit, or a clear refusal, and the next request works`, async () => {
      const engine = new Engine();
      const info = await engine.load(folder);
      try {
        const limit = Math.min(info.maxPositions || 512, 512);
        for (const [label, input] of Object.entries(LONG_INPUTS)) {
          if (refusedAsEmpty(input)) {
            await assert.rejects(engine.inspect({ text: input }), (error: EngineError) => error.code === 'input' && /the text is empty/.test(error.message), label);
            continue;
          }
          const inspection = await engine.inspect({ text: input });
          assertAnswer(input, inspection, inspection.stacks[0].tokens, limit, `${name} / ${label}`);
          if (info.family === 'encoder-decoder') {
            const translation = await engine.translate(input);
            assert.ok(input.startsWith(translation.sourceText), `${name} / ${label}: translation read a prefix`);
          } else if (info.family === 'decoder-only') {
            // A prompt cut to the whole context leaves no room: refused, as any prompt that fills it.
            const generated = await engine.generate(input, { maxNewTokens: 3 }).catch((error: EngineError) => {
              assert.ok(error.code === 'input' && /fills the model's limit: there is no room to generate/.test(error.message), `${label}: ${error.message}`);
              return undefined;
            });
            if (generated) assert.ok(input.startsWith(generated.sourceText) && generated.tokens.length <= 3, `${name} / ${label}: a continuation of a prefix`);
          }
          const next = await engine.inspect({ text: 'Open the file.' });
          assert.equal(next.text, 'Open the file.', `${name}: the request after ${label}`);
        }
      } finally {
        await engine.dispose();
      }
    });
  }
});

describe('the guard: the engine process on a small stack', () => {
  it(`a spread or recursion over 100,000 characters fails on ${SMALL_STACK_KIB} KiB, so this guard would see one`, () => {
    const spread = spawnSync(process.execPath, [`--stack-size=${SMALL_STACK_KIB}`, '-e', 'Math.max(...new Array(100000).fill(1))'], { encoding: 'utf8' });
    assert.match(spread.stderr, /RangeError: Maximum call stack size exceeded/);
    const recursion = spawnSync(process.execPath, [`--stack-size=${SMALL_STACK_KIB}`, '-e', 'const walk = (n) => (n === 0 ? 0 : 1 + walk(n - 1)); walk(100000)'], { encoding: 'utf8' });
    assert.match(recursion.stderr, /RangeError: Maximum call stack size exceeded/);
  });

  for (const folder of [BUNDLED, TOKENIZER_MODELS['WordPiece (bert-tiny)'], TOKENIZER_MODELS['byte-level BPE (gpt2-tiny)']]) {
    it(`${path.basename(folder)}: the longest inputs give the same tokens on ${SMALL_STACK_KIB} KiB as in the engine on Node's default stack`, async () => {
      const client = new EngineClient({ enginePath: ENGINE, execArgv: [`--stack-size=${SMALL_STACK_KIB}`] });
      const engine = new Engine();
      try {
        const info = await client.call('load', { model: folder });
        await engine.load(folder);
        const pid = client.pid;
        for (const label of LONGEST) {
          const input = LONG_INPUTS[label];
          const summary = await client.call('inspect', { text: input });
          const expected = await engine.inspect({ text: input });
          assert.deepEqual(summary.stacks[0].tokens.map((token) => token.id), expected.stacks[0].tokens.map((token) => token.id), label);
          assertAnswer(input, summary, summary.stacks[0].tokens, Math.min(info.maxPositions || 512, 512), label);
          if (info.family === 'encoder-decoder') {
            const translation = await client.call('translate', { text: input });
            assert.ok(input.startsWith(translation.sourceText), `${label}: translation read a prefix`);
          }
        }
        assert.equal(client.pid, pid, 'the engine process never restarted');
        assert.equal((await client.call('inspect', { text: 'Save the document.' })).text, 'Save the document.');
      } finally {
        client.dispose();
        await engine.dispose();
      }
    });
  }
});

describe('long inputs through the CLI, as a child process', () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'ti-long-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs the CLI; it must end by itself with 0, or with 1 and a one-line message — never by a signal. */
  function cli(args: string[], input?: string) {
    const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, timeout: 120_000, maxBuffer: 64 << 20 });
    const label = `${args.map((arg) => (arg.length > 40 ? `<${arg.length} characters>` : arg)).join(' ')}`;
    assert.equal(result.signal, null, `${label}: ended by ${result.signal}`);
    assert.ok(result.status === 0 || (result.status === 1 && result.stderr.trim().split('\n').length === 1), `${label}: exit ${result.status}, stderr ${result.stderr.slice(0, 500)}`);
    return result;
  }

  for (const [name, folder] of Object.entries(TOKENIZER_MODELS)) {
    it(`${name}: inspect --text-file on every long input exits by itself`, () => {
      for (const [label, input] of Object.entries(LONG_INPUTS)) {
        const file = path.join(scratch, 'input.txt');
        const json = path.join(scratch, 'inspection.json');
        rmSync(json, { force: true });
        writeFileSync(file, input);
        const result = cli(['inspect', '--model', folder, '--text-file', file, '--json', json]);
        if (refusedAsEmpty(input)) {
          assert.equal(result.status, 1, label);
          assert.match(result.stderr, /^transformer-inspector: Nothing to inspect: the text is empty\.$/m, label);
          continue;
        }
        assert.equal(result.status, 0, `${label}: ${result.stderr}`);
        const written = JSON.parse(readFileSync(json, 'utf8'));
        assert.ok(input.startsWith(written.text), `${label}: the JSON holds a prefix of the input`);
        assert.ok(written.tokens.length >= 1, label);
      }
    });
  }

  it('a 100,000-letter argument: translate and inspect answer instead of dying with SIGSEGV', () => {
    const word = LONG_INPUTS['one letter 100,000 times'];
    const translated = cli(['translate', word]);
    assert.equal(translated.status, 0, translated.stderr);
    assert.equal(translated.stdout.split('\n').length, 2, 'one output line');
    assert.match(translated.stderr, /note: Input truncated to 256 tokens \(the first \d+ of 100000 characters\)/);
    const json = path.join(scratch, 'argument.json');
    const inspected = cli(['inspect', '--model', TOKENIZER_MODELS['WordPiece (bert-tiny)'], '--text', word, '--json', json]);
    assert.equal(inspected.status, 0, inspected.stderr);
    const written = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(written.tokens[1].text.length, widestWindow(64), 'one [UNK] for the letters that were read');
  });

  it('inspect --text-file - reads standard input; --text and --text-file together are refused', () => {
    const json = path.join(scratch, 'stdin.json');
    const result = cli(['inspect', '--text-file', '-', '--json', json], `${LONG_INPUTS['a 1,000,000-character mixed line']}\n`);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(LONG_INPUTS['a 1,000,000-character mixed line'].startsWith(JSON.parse(readFileSync(json, 'utf8')).text));
    const both = spawnSync(process.execPath, [CLI, 'inspect', '--text', 'a', '--text-file', '-'], { encoding: 'utf8' });
    assert.equal(both.status, 2);
    assert.match(both.stderr, /inspect needs --text "…" or --text-file FILE \(one of them\)/);
    const missing = spawnSync(process.execPath, [CLI, 'inspect', '--text-file', path.join(scratch, 'nothing.txt')], { encoding: 'utf8' });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--text-file .*nothing\.txt cannot be read: ENOENT/);
  });

  it('translate from standard input: one line out per line in, long lines and 1,000 empty lines included', () => {
    const lines = ['Open the file.', ...Array(1000).fill(''), LONG_INPUTS['one letter 100,000 times'], '', '请输入文件名。'];
    const result = cli(['translate'], `${lines.join('\n')}\n`);
    assert.equal(result.status, 0, result.stderr);
    const out = result.stdout.split('\n');
    assert.equal(out.length, lines.length + 1, 'one output line per input line');
    assert.match(out[0], /\p{Script=Han}/u);
    assert.ok(out.slice(1, 1001).every((line) => line === ''), 'empty lines stay empty');
    assert.match(out[lines.length - 1], /[A-Za-z]/);
  });
});
