// tokenizer.json is untrusted: its regular expressions run in JavaScript's backtracking engine. A
// catastrophic pattern in the pre-tokenizer, the normalizer's Replace or the decoder is stopped at
// the time limit with a message naming it, in the engine and in the engine process, and the next
// request works; added tokens that look like patterns are taken literally.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { Engine } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/engineError';
import { TextTokenizer } from '../../src/engine/textTokenizer';
import { TOKENIZE_TIME_LIMIT_MS } from '../../src/engine/tokenizerTimeLimit';
import { fixture, REPO_ROOT } from './fixtures';

const ENGINE = path.join(REPO_ROOT, 'dist', 'engineProcess.js');
/** 46 letters and one that ends no match: (a|aa)+$ tries every way of splitting them (Fibonacci(46) ≈ 2·10⁹). */
const TRIGGER = `${'a'.repeat(46)}b`;
const CATASTROPHIC = '(a|aa)+$';
/** Time the stop may take beyond the limit: trying each pattern alone, and a loaded machine. */
const SLACK_MS = 4000;

let scratch: string;
before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'ti-tokenizer-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of bert-tiny whose tokenizer.json is changed by `edit`. */
function bertWith(name: string, edit: (json: Record<string, unknown>) => void): string {
  const folder = path.join(scratch, name);
  cpSync(fixture('bert-tiny'), folder, { recursive: true });
  const file = path.join(folder, 'tokenizer.json');
  const json = JSON.parse(readFileSync(file, 'utf8'));
  edit(json);
  writeFileSync(file, JSON.stringify(json));
  return folder;
}

const HOSTILE: Record<string, { folder: () => string; where: RegExp }> = {
  "the pre-tokenizer's Split": {
    folder: () => bertWith('split', (json) => (json.pre_tokenizer = { type: 'Split', pattern: { Regex: CATASTROPHIC }, behavior: 'Isolated', invert: false })),
    where: /in pre_tokenizer \(Split\)/,
  },
  "the normalizer's Replace": {
    folder: () => bertWith('replace', (json) => (json.normalizer = { type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { Regex: CATASTROPHIC }, content: '' }, json.normalizer] })),
    where: /in normalizer\.normalizers\[0\] \(Replace\)/,
  },
};

async function rejectsInTime(promise: Promise<unknown>, where: RegExp): Promise<number> {
  const started = performance.now();
  await assert.rejects(promise, (error: EngineError) => {
    assert.equal(error.code, 'tokenizer', error.message);
    assert.match(error.message, new RegExp(`stopped after ${TOKENIZE_TIME_LIMIT_MS / 1000} s on this text: the regular expression /\\(a\\|aa\\)\\+\\$/ `));
    assert.match(error.message, where);
    assert.match(error.message, /Fix or remove that pattern in tokenizer\.json\./);
    return true;
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed < TOKENIZE_TIME_LIMIT_MS + SLACK_MS, `stopped after ${elapsed.toFixed(0)} ms`);
  return elapsed;
}

describe('a tokenizer.json whose patterns backtrack without end', () => {
  for (const [name, { folder, where }] of Object.entries(HOSTILE)) {
    it(`${name}: loads, is stopped at the time limit naming the pattern, and the next request works`, async () => {
      const engine = new Engine();
      try {
        await engine.load(folder());
        await rejectsInTime(engine.inspect({ text: TRIGGER }), where);
        const next = await engine.inspect({ text: 'hello world' });
        assert.equal(next.text, 'hello world');
        assert.equal(next.stacks[0].tokens.at(-1)!.text, '[SEP]');
      } finally {
        await engine.dispose();
      }
    });
  }

  it('in the engine process: an error within the limit, not the request timeout; no restart; the next request works', async () => {
    const client = new EngineClient({ enginePath: ENGINE });
    try {
      await client.call('load', { model: HOSTILE["the pre-tokenizer's Split"].folder() });
      const pid = client.pid;
      await rejectsInTime(client.call('inspect', { text: TRIGGER }), /in pre_tokenizer \(Split\)/);
      assert.equal(client.pid, pid, 'the same engine process answers');
      assert.equal((await client.call('inspect', { text: 'hello world' })).text, 'hello world');
    } finally {
      client.dispose();
    }
  });

  it("the decoder's Replace: decoding is stopped the same way", () => {
    // The decoder's steps run on each token's text: an added token spells the trigger.
    const folder = bertWith('decoder', (json) => {
      json.decoder = { type: 'Sequence', decoders: [json.decoder, { type: 'Replace', pattern: { Regex: CATASTROPHIC }, content: '' }] };
      (json.added_tokens as object[]).push({ id: 339, content: TRIGGER, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
    });
    const read = (file: string) => JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as object;
    const tokenizer = new TextTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
    assert.equal(tokenizer.decode([tokenizer.idOf('hello')!]), 'hello');
    const started = performance.now();
    assert.throws(() => tokenizer.decode([339]), (error: EngineError) => {
      assert.equal(error.code, 'tokenizer');
      assert.match(error.message, /the regular expression \/\(a\|aa\)\+\$\/ in decoder\.decoders\[1\] \(Replace\)/);
      return true;
    });
    assert.ok(performance.now() - started < TOKENIZE_TIME_LIMIT_MS + SLACK_MS);
  });

  it('added tokens are literal text, never patterns: one that reads like (a|aa)+$ matches only itself', async () => {
    const folder = bertWith('added', (json) => {
      const added = json.added_tokens as object[];
      added.push({ id: 339, content: CATASTROPHIC, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
      // A long added token that almost matches a long text: the splitter's work is bounded by the text the engine tokenizes.
      added.push({ id: 340, content: `${'a'.repeat(20_000)}!`, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
    });
    const engine = new Engine();
    try {
      await engine.load(folder);
      const inspection = await engine.inspect({ text: `${CATASTROPHIC} ${TRIGGER}` });
      const texts = inspection.stacks[0].tokens.map((token) => token.text);
      assert.equal(texts[1], CATASTROPHIC, 'the added token, as one token');
      assert.equal(inspection.stacks[0].tokens[1].id, 339);
      const long = await engine.inspect({ text: 'a'.repeat(1_000_000) });
      assert.ok(long.text.length < 1_000_000, 'read as a prefix, within bounds');
    } finally {
      await engine.dispose();
    }
  });
});
