// Faults injected into the real engine process with the bundled model: SIGKILL in the middle of an
// inspection and of a translation, a storm of hover requests each cancelling the one before, and
// concurrent inspections from two editors. Each time: a clear error, and the next request works.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { EngineError } from '../../src/engine/engineError';
import type { Tensor } from '../../src/protocol/inspection';
import { REPO_ROOT } from './fixtures';

const ENGINE = path.join(REPO_ROOT, 'dist', 'engineProcess.js');
const BUNDLED = path.join(REPO_ROOT, 'models', 'en-zh-transformer');
const LONG_ENGLISH = 'The editor opens the selected file in a new tab and keeps the previous tab open until you close it. '.repeat(12);

const clients: EngineClient[] = [];
function newClient(): { client: EngineClient; logs: string[] } {
  const logs: string[] = [];
  const client = new EngineClient({ enginePath: ENGINE, onLog: (level, message) => logs.push(`${level}: ${message}`) });
  clients.push(client);
  return { client, logs };
}
after(() => clients.forEach((client) => client.dispose()));

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

/** Kills the engine once the request is surely running: after it was sent and the engine is busy. */
async function killDuring(client: EngineClient, request: Promise<unknown>, afterMs: number): Promise<unknown> {
  const outcome = request.then(
    () => 'resolved',
    (error: unknown) => error,
  );
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  process.kill(client.pid!, 'SIGKILL');
  return outcome;
}

function assertCrashed(outcome: unknown): void {
  assert.ok(outcome instanceof EngineError, `expected the request to fail, got ${String(outcome)}`);
  assert.equal(outcome.code, 'engine-crashed');
  assert.match(outcome.message, /killed \(SIGKILL\) before answering.*not completed.*restarts/);
}

describe('faults in the engine process', () => {
  it('SIGKILL in the middle of an inspection: a clear error, then the same inspection works', async () => {
    const { client } = newClient();
    await client.call('load', { model: BUNDLED });
    const expected = await client.call('inspect', { text: LONG_ENGLISH, target: LONG_ENGLISH, targetLanguage: 'zh' });
    const firstPid = client.pid;
    assertCrashed(await killDuring(client, client.call('inspect', { text: LONG_ENGLISH, target: LONG_ENGLISH, targetLanguage: 'zh' }), 15));
    const again = await client.call('inspect', { text: LONG_ENGLISH, target: LONG_ENGLISH, targetLanguage: 'zh' });
    assert.notEqual(client.pid, firstPid, 'a new engine process');
    assert.deepEqual(again.stacks.map((stack) => stack.tokens.map((token) => token.id)), expected.stacks.map((stack) => stack.tokens.map((token) => token.id)));
    assert.deepEqual([...again.groups[0].thumbnails.data], [...expected.groups[0].thumbnails.data], 'the reloaded model computes the same attention');
  });

  it('SIGKILL in the middle of a beam-search translation: a clear error, then the same translation', async () => {
    const { client } = newClient();
    await client.call('load', { model: BUNDLED });
    const request = { text: LONG_ENGLISH.slice(0, 400), targetLanguage: 'zh', beamSize: 4 };
    const expected = await client.call('translate', request);
    assertCrashed(await killDuring(client, client.call('translate', request), 30));
    const again = await client.call('translate', request);
    assert.equal(again.text, expected.text);
    assert.equal(again.score, expected.score);
  });

  it('1,000 hover requests, each cancelling the one before: only the last is answered, memory stays bounded', async () => {
    const { client, logs } = newClient();
    await client.call('load', { model: BUNDLED });
    const pid = client.pid!;
    const before = rssMiB(pid);
    const outcomes: Promise<string>[] = [];
    let previous: AbortController | undefined;
    for (let i = 0; i < 1000; i++) {
      previous?.abort(); // the mouse moved on: VS Code cancels the hover before asking again
      const abort = new AbortController();
      previous = abort;
      outcomes.push(client.call('translate', { text: `Open file number ${i} in a new window.`, targetLanguage: 'zh' }, { signal: abort.signal }).then(
        (translation) => `answered ${translation.sourceText}`,
        (error: unknown) => (error instanceof EngineError ? error.code : String(error)),
      ));
    }
    const results = await Promise.all(outcomes);
    assert.deepEqual(results.slice(0, 999).filter((result) => result !== 'cancelled'), [], 'every stale request was cancelled');
    assert.equal(results[999], 'answered Open file number 999 in a new window.');
    const translated = logs.filter((line) => /Translated/.test(line)).length;
    assert.ok(translated <= 3, `the engine generated for ${translated} requests, not for the stale ones`);
    assert.equal(client.pid, pid, 'no restart');
    assert.ok(rssMiB(pid) - before < 50, `engine memory grew by ${(rssMiB(pid) - before).toFixed(1)} MiB`);
  });

  it('two editors inspecting at once each get their own inspection', async () => {
    const { client } = newClient();
    await client.call('load', { model: BUNDLED });
    const texts = ['Open the file in a new window.', '无法连接到服务器。'];
    const [first, second] = await Promise.all(texts.map((text) => client.call('inspect', { text })));
    assert.equal(first.text, texts[0]);
    assert.equal(second.text, texts[1]);
    assert.notEqual(first.id, second.id);
    for (const [summary, text] of [[first, texts[0]], [second, texts[1]]] as const) {
      const pieces = summary.stacks[0].tokens.filter((token) => !token.special).map((token) => text.slice(token.start, token.end)).join('');
      assert.equal(pieces.replace(/\s/g, ''), text.replace(/\s/g, ''), 'tokens point into their own text');
    }
    // Both stay answerable: the panel of either editor can still ask for its heads.
    for (const summary of [first, second]) {
      const head = await client.call('panelQuestion', { method: 'attentionHead', params: { id: summary.id, group: 'encoder.self', layer: 0, head: 0 } });
      assert.equal((head as Tensor).dims[0], summary.stacks[0].tokens.length);
    }
  });
});
