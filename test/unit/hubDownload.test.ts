// Downloads from a stand-in Hub on 127.0.0.1 (test/unit/fakeHub.ts) serving copies of the fixture
// models: only the needed files, byte for byte; resume after a dropped connection; refused sizes and
// checksums; gated, missing and revised repositories; the offline copy; and the result runs in the engine.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/engineError';
import { readModelFolder } from '../../src/engine/modelFolder';
import { downloadModel, DownloadOptions, formatBytes } from '../../src/hub/downloadModel';
import { findCached, listCachedModels, MANIFEST, snapshotFolder } from '../../src/hub/hubCache';
import { HubError } from '../../src/hub/hubError';
import { hubEndpoint, looksLikeHubId, parseHubReference } from '../../src/hub/hubReference';
import { FakeHub, repoFiles, sha256 } from './fakeHub';
import { FIXTURES } from './fixtures';

const TOKEN = 'hf_test_token_0123456789';
let hub: FakeHub;
let scratch: string;
let cacheDir: string;
let gpt2: Map<string, Buffer>;
let marian: Map<string, Buffer>;

function options(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return { cacheDir, endpoint: hub.endpoint, retryDelayMs: 10, tokenHint: 'set HF_TOKEN', ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<HubError> {
  const error = await promise.then(
    () => assert.fail('expected the download to fail'),
    (failure: unknown) => failure,
  );
  assert.ok(error instanceof HubError, `a HubError, not ${String(error)}`);
  return error;
}

/** Every file under a folder, relative, `/`-separated. */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((entry) => statSync(path.join(folder, entry)).isFile())
    .map((entry) => entry.split(path.sep).join('/'))
    .sort();
}

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'ti-hub-'));
  gpt2 = repoFiles(FIXTURES, 'gpt2-tiny', { 'README.md': '# gpt2-tiny\n', '.gitattributes': '*.onnx filter=lfs\n' });
  const bert = repoFiles(FIXTURES, 'bert-tiny', { 'pytorch_model.bin': Buffer.alloc(40_000, 7) });
  bert.set('onnx/model_quantized.onnx', bert.get('onnx/model.onnx')!);
  bert.set('onnx/model_fp16.onnx', bert.get('onnx/model.onnx')!);
  marian = repoFiles(FIXTURES, 'marian-tiny');
  const split = repoFiles(FIXTURES, 'marian-tiny-split');
  for (const file of ['onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx']) marian.set(file, split.get(file)!);
  const marianV1 = new Map(marian);
  marianV1.set('config.json', Buffer.from(JSON.stringify({ ...JSON.parse(marian.get('config.json')!.toString()), revision_note: 'v1' }, null, 2)));
  hub = await FakeHub.start([
    { id: 'Xenova/gpt2-tiny', revisions: [{ names: ['main'], files: gpt2 }] },
    { id: 'Xenova/bert-tiny', revisions: [{ names: ['main'], files: bert }] },
    { id: 'Xenova/marian-tiny', revisions: [{ names: ['main'], files: marian }, { names: ['v1'], files: marianV1 }] },
    { id: 'acme/gated-tiny', revisions: [{ names: ['main'], files: bert }], gatedToken: TOKEN },
    { id: 'acme/no-onnx', revisions: [{ names: ['main'], files: new Map([['config.json', Buffer.from('{}')], ['tokenizer.json', gpt2.get('tokenizer.json')!]]) }] },
  ]);
});
after(async () => {
  await hub?.close();
  rmSync(scratch, { recursive: true, force: true });
});

let testCount = 0;
afterEach(() => {
  hub.faults.clear();
  hub.requests.length = 0;
});
function freshCache(): string {
  cacheDir = path.join(scratch, `cache-${++testCount}`);
  return cacheDir;
}

describe('downloading a model from the Hub', () => {
  it('fetches only the files the engine needs, byte for byte, keyed by commit, and the engine runs them', async () => {
    freshCache();
    const progress: number[] = [];
    const model = await downloadModel('Xenova/gpt2-tiny', options({ token: TOKEN, onProgress: (step) => progress.push(step.bytes) }));
    const commit = hub.commitOf('Xenova/gpt2-tiny', 'main');
    assert.equal(model.commit, commit);
    assert.equal(model.folder, snapshotFolder(cacheDir, 'Xenova/gpt2-tiny', commit));
    assert.equal(model.folder, path.join(cacheDir, 'models--Xenova--gpt2-tiny', 'snapshots', commit));
    assert.equal(model.offline, false);
    const expected = ['config.json', 'generation_config.json', 'onnx/model.onnx', 'onnx/model.onnx_data', 'tokenizer.json', 'tokenizer_config.json'];
    assert.deepEqual([...model.files].sort(), expected);
    assert.deepEqual(filesUnder(model.folder), [MANIFEST, ...expected].sort());
    for (const file of expected) assert.ok(readFileSync(path.join(model.folder, file)).equals(gpt2.get(file)!), `${file} is byte-identical`);
    const total = expected.reduce((sum, file) => sum + gpt2.get(file)!.length, 0);
    assert.equal(model.fetchedBytes, total);
    assert.equal(progress.at(-1), total);
    assert.ok(progress.every((bytes, index) => index === 0 || bytes >= progress[index - 1]), 'progress only grows');
    assert.equal(readFileSync(path.join(cacheDir, 'models--Xenova--gpt2-tiny', 'refs', 'main'), 'utf8'), commit);
    assert.deepEqual(readdirSync(path.join(cacheDir, 'models--Xenova--gpt2-tiny')).sort(), ['refs', 'snapshots'], 'no .part or empty folder left');
    // The token goes to the Hub only; the CDN the LFS files redirect to never sees it.
    assert.equal(hub.fileRequests('README.md', 'hub').length, 0);
    assert.ok(hub.requests.filter((request) => request.origin === 'hub').every((request) => request.authorization === `Bearer ${TOKEN}`));
    const cdn = hub.requests.filter((request) => request.origin === 'cdn');
    assert.deepEqual(cdn.map((request) => request.file).sort(), ['onnx/model.onnx', 'onnx/model.onnx_data']);
    assert.ok(cdn.every((request) => request.authorization === undefined));
    assert.ok(hub.requests.filter((request) => request.path.includes('/tree/')).length >= 2, 'the paginated tree is followed');
    for (const file of filesUnder(cacheDir)) assert.ok(!readFileSync(path.join(cacheDir, file), 'latin1').includes(TOKEN), `${file} holds no token`);

    const spec = readModelFolder(model.folder);
    assert.equal(spec.name, 'gpt2-tiny', 'named after the repository, not the commit');
    const engine = new Engine();
    try {
      const info = await engine.load(model.folder);
      assert.equal(info.family, 'decoder-only');
      assert.deepEqual(info.layers, { decoder: 2 });
      assert.equal(info.onnxFiles[0].externalDataBytes, gpt2.get('onnx/model.onnx_data')!.length);
    } finally {
      await engine.dispose();
    }
  });

  it('reuses a complete copy without fetching again, and offline says so', async () => {
    freshCache();
    const first = await downloadModel('Xenova/gpt2-tiny', options());
    hub.requests.length = 0;
    const again = await downloadModel('Xenova/gpt2-tiny', options());
    assert.equal(again.folder, first.folder);
    assert.equal(again.fetchedBytes, 0);
    assert.equal(hub.requests.filter((request) => request.path.includes('/resolve/') || request.origin === 'cdn').length, 0);

    const offline = await downloadModel('Xenova/gpt2-tiny', options({ endpoint: 'http://127.0.0.1:9' }));
    assert.equal(offline.offline, true);
    assert.equal(offline.folder, first.folder);
    assert.equal(offline.commit, first.commit);
    assert.deepEqual(offline.files, first.files);
    assert.match(offline.notices[0], /^Offline: Cannot reach 127\.0\.0\.1:9: connection refused \(ECONNREFUSED\)\. Using the copy of Xenova\/gpt2-tiny in the cache \(commit [0-9a-f]{7}, downloaded \d{4}-\d\d-\d\d\)\.$/);
    assert.deepEqual(listCachedModels(cacheDir).map((model) => [model.id, model.revision, model.commit]), [['Xenova/gpt2-tiny', 'main', first.commit]]);

    const missing = await rejection(downloadModel('Xenova/marian-tiny', options({ endpoint: 'http://127.0.0.1:9' })));
    assert.equal(missing.failure, 'network');
    assert.match(missing.message, /Cannot reach 127\.0\.0\.1:9: connection refused.*No complete copy of Xenova\/marian-tiny is in the cache/);
  });

  it('resumes a file after the connection drops mid-way, with a Range request', async () => {
    freshCache();
    hub.faults.set('onnx/model.onnx_data', { dropAfter: 100_000 });
    const model = await downloadModel('Xenova/gpt2-tiny', options());
    const tries = hub.fileRequests('onnx/model.onnx_data', 'cdn');
    assert.equal(tries.length, 2);
    assert.equal(tries[0].range, undefined);
    const start = Number(/^bytes=(\d+)-$/.exec(tries[1].range ?? '')?.[1]);
    assert.ok(start > 0 && start <= 100_000, `resumed from byte ${start}, what had arrived of the first 100000`);
    assert.ok(readFileSync(path.join(model.folder, 'onnx/model.onnx_data')).equals(gpt2.get('onnx/model.onnx_data')!));
  });

  it('keeps the part of a cancelled download and resumes it in the next run', async () => {
    freshCache();
    hub.faults.set('onnx/model.onnx_data', { chunkDelayMs: 5 });
    const abort = new AbortController();
    const cancelled = await downloadModel(
      'Xenova/gpt2-tiny',
      options({ signal: abort.signal, onProgress: (step) => step.file === 'onnx/model.onnx_data' && step.fileBytes > 40_000 && abort.abort() }),
    ).then(
      () => assert.fail('expected a cancellation'),
      (error: unknown) => error,
    );
    assert.ok(cancelled instanceof EngineError && cancelled.code === 'cancelled', String(cancelled));
    const commit = hub.commitOf('Xenova/gpt2-tiny', 'main');
    const part = path.join(cacheDir, 'models--Xenova--gpt2-tiny', 'incomplete', commit, 'onnx', 'model.onnx_data.part');
    const kept = statSync(part).size;
    assert.ok(kept > 0 && kept < gpt2.get('onnx/model.onnx_data')!.length, `${kept} bytes kept`);
    assert.equal(existsSync(path.join(snapshotFolder(cacheDir, 'Xenova/gpt2-tiny', commit), MANIFEST)), false);

    hub.faults.clear();
    hub.requests.length = 0;
    const model = await downloadModel('Xenova/gpt2-tiny', options());
    assert.deepEqual(hub.fileRequests('onnx/model.onnx_data', 'cdn').map((request) => request.range), [`bytes=${kept}-`]);
    assert.deepEqual(hub.fileRequests('onnx/model.onnx', 'cdn').length, 0, 'files already in place are not fetched again');
    assert.ok(readFileSync(path.join(model.folder, 'onnx/model.onnx_data')).equals(gpt2.get('onnx/model.onnx_data')!));
    assert.equal(existsSync(part), false);
  });
});

describe('downloads that must be refused', () => {
  function assertNothingComplete(id: string, file: string): void {
    const commit = hub.commitOf(id, 'main');
    const snapshot = snapshotFolder(cacheDir, id, commit);
    assert.equal(existsSync(path.join(snapshot, file)), false, `${file} is not in the snapshot`);
    assert.equal(existsSync(path.join(snapshot, MANIFEST)), false, 'the snapshot is not marked complete');
    assert.deepEqual(filesUnder(path.join(cacheDir, `models--${id.replace('/', '--')}`, 'incomplete')), [], 'no part is kept to resume from');
    assert.equal(findCached(cacheDir, { id, revision: 'main' }, 'fp32'), undefined);
    assert.deepEqual(listCachedModels(cacheDir), []);
  }

  it('a file whose size differs from the listing', async () => {
    freshCache();
    hub.faults.set('onnx/model.onnx', { listedSizeOffset: 3 });
    const size = gpt2.get('onnx/model.onnx')!.length;
    const error = await rejection(downloadModel('Xenova/gpt2-tiny', options()));
    assert.equal(error.failure, 'integrity');
    assert.equal(
      error.message,
      `onnx/model.onnx of Xenova/gpt2-tiny failed its size check: the Hub lists ${size + 3} bytes, but the server announced ${size}. Nothing was kept; try again, and if it persists tell the model's owner.`,
    );
    assertNothingComplete('Xenova/gpt2-tiny', 'onnx/model.onnx');
  });

  it('bytes whose sha256 differs from the LFS oid', async () => {
    freshCache();
    hub.faults.set('onnx/model.onnx_data', { corrupt: true });
    const original = gpt2.get('onnx/model.onnx_data')!;
    const corrupted = Buffer.from(original);
    corrupted[corrupted.length >> 1] ^= 0xff;
    const error = await rejection(downloadModel('Xenova/gpt2-tiny', options()));
    assert.equal(error.failure, 'integrity');
    assert.equal(
      error.message,
      `onnx/model.onnx_data of Xenova/gpt2-tiny failed its sha256 check: the Hub lists ${sha256(original)}, the downloaded bytes give ${sha256(corrupted)}. Nothing was kept; try again, and if it persists tell the model's owner.`,
    );
    assertNothingComplete('Xenova/gpt2-tiny', 'onnx/model.onnx_data');
  });

  it('a non-LFS file whose git blob id differs', async () => {
    freshCache();
    hub.faults.set('tokenizer.json', { corrupt: true });
    const error = await rejection(downloadModel('Xenova/gpt2-tiny', options()));
    assert.match(error.message, /^tokenizer\.json of Xenova\/gpt2-tiny failed its git blob id check: the Hub lists [0-9a-f]{40}, the downloaded bytes give [0-9a-f]{40}\./);
    assertNothingComplete('Xenova/gpt2-tiny', 'tokenizer.json');
  });

  it('a gated model without a token, or with a refused one, naming the token', async () => {
    freshCache();
    const without = await rejection(downloadModel('acme/gated-tiny', options()));
    assert.equal(without.failure, 'unauthorized');
    assert.equal(without.status, 401);
    assert.equal(
      without.message,
      `acme/gated-tiny is a gated model: the Hub answered 401 without an access token. Accept the model's terms on ${hub.endpoint}/acme/gated-tiny, then set HF_TOKEN.`,
    );
    const wrong = await rejection(downloadModel('acme/gated-tiny', options({ token: 'hf_wrong' })));
    assert.equal(wrong.status, 403);
    assert.match(wrong.message, /^acme\/gated-tiny is a gated model and the Hub refused the access token \(403\)/);
    assert.ok(!wrong.message.includes('hf_wrong'), 'the token is never in a message');
    assert.equal(existsSync(path.join(cacheDir, 'models--acme--gated-tiny')), false, 'a refusal leaves nothing behind');
    const model = await downloadModel('acme/gated-tiny', options({ token: TOKEN }));
    assert.equal(readModelFolder(model.folder).family, 'encoder-only');
  });

  it('an id the Hub does not have, a revision it does not have, and a repository without ONNX files', async () => {
    freshCache();
    const missing = await rejection(downloadModel('Xenova/no-such-model', options()));
    assert.equal(missing.failure, 'not-found');
    assert.equal(missing.message, `The Hub (${hub.endpoint}) has no model Xenova/no-such-model. Check the id: owner/name, as in the model page's URL.`);
    const revision = await rejection(downloadModel('Xenova/gpt2-tiny@v9', options()));
    assert.equal(revision.message, 'Xenova/gpt2-tiny has no revision "v9" on the Hub (expected a branch, a tag or a commit).');
    const noOnnx = await rejection(downloadModel('acme/no-onnx', options()));
    assert.equal(noOnnx.failure, 'not-loadable');
    assert.match(noOnnx.message, /^acme\/no-onnx@main has no ONNX files \(onnx\/\*\.onnx\)/);
    const badId = await rejection(downloadModel('gpt2', options()));
    assert.equal(badId.failure, 'bad-id');
    assert.match(badId.message, /"gpt2" is not a Hugging Face model id\. Write it as owner\/name/);
    assert.deepEqual(filesUnder(cacheDir), []);
  });
});

describe('revisions and variants', () => {
  it('a revision resolves to its own commit and snapshot, beside main', async () => {
    freshCache();
    const v1 = await downloadModel('Xenova/marian-tiny@v1', options());
    const main = await downloadModel('Xenova/marian-tiny', options());
    assert.equal(v1.commit, hub.commitOf('Xenova/marian-tiny', 'v1'));
    assert.notEqual(v1.commit, main.commit);
    assert.equal(JSON.parse(readFileSync(path.join(v1.folder, 'config.json'), 'utf8')).revision_note, 'v1');
    assert.ok(readFileSync(path.join(main.folder, 'config.json')).equals(marian.get('config.json')!));
    assert.equal(readFileSync(path.join(cacheDir, 'models--Xenova--marian-tiny', 'refs', 'v1'), 'utf8'), v1.commit);
    assert.deepEqual(listCachedModels(cacheDir).map((model) => model.revision).sort(), ['main', 'v1']);
    // Encoder + merged decoder only: the split decoder files of the same repository stay on the Hub.
    assert.deepEqual(filesUnder(path.join(v1.folder, 'onnx')), ['decoder_model_merged.onnx', 'encoder_model.onnx']);
    const byCommit = await downloadModel(`Xenova/marian-tiny@${v1.commit}`, options());
    assert.equal(byCommit.folder, v1.folder);
    assert.equal(byCommit.fetchedBytes, 0);
  });

  it('the modelVariant picks the weights, and a missing variant falls back with a notice', async () => {
    freshCache();
    const quantized = await downloadModel('Xenova/bert-tiny', options({ variant: 'quantized' }));
    assert.equal(quantized.variant, 'quantized');
    assert.deepEqual(filesUnder(path.join(quantized.folder, 'onnx')), ['model_quantized.onnx']);
    assert.equal(hub.fileRequests('pytorch_model.bin', 'hub').length, 0);
    const q4 = await downloadModel('Xenova/bert-tiny', options({ variant: 'q4' }));
    assert.equal(q4.variant, 'fp32');
    assert.deepEqual(q4.notices, ['Xenova/bert-tiny@main has no q4 weights; downloading the fp32 variant.']);
    assert.deepEqual(filesUnder(path.join(q4.folder, 'onnx')), ['model.onnx', 'model_quantized.onnx']);
    assert.equal(findCached(cacheDir, { id: 'Xenova/bert-tiny', revision: 'main' }, 'quantized')?.variant, 'quantized');
    assert.equal(findCached(cacheDir, { id: 'Xenova/bert-tiny', revision: 'main' }, 'q4')?.variant, 'fp32');
  });
});

describe('Hub ids, endpoints and sizes', () => {
  it('tells Hub ids from paths and parses revisions', () => {
    for (const id of ['Xenova/opus-mt-zh-en', 'Xenova/bert-base-uncased', 'onnx-community/Qwen2.5-0.5B-Instruct', 'Xenova/gpt2@main', 'a_b/c.d@refs/pr/1']) assert.ok(looksLikeHubId(id), id);
    for (const text of ['gpt2', './Xenova/gpt2', '/abs/path', 'a/b/c', 'C:\\models\\x', 'a--b/c', 'a/b..c', '-a/b', 'a/b@', 'a/b@../x', 'a/b@x y']) assert.ok(!looksLikeHubId(text), text);
    assert.deepEqual(parseHubReference('Xenova/gpt2'), { id: 'Xenova/gpt2', revision: 'main' });
    assert.deepEqual(parseHubReference(' Xenova/gpt2@v1.0 '), { id: 'Xenova/gpt2', revision: 'v1.0' });
    assert.deepEqual(parseHubReference('Xenova/gpt2@v1', 'refs/pr/2'), { id: 'Xenova/gpt2', revision: 'refs/pr/2' });
    assert.throws(() => parseHubReference('Xenova/gpt2@..'), /"\.\." is not a revision name/);
  });

  it('takes the endpoint from the setting, else HF_ENDPOINT, else huggingface.co', () => {
    assert.equal(hubEndpoint('https://hf-mirror.com/', { HF_ENDPOINT: 'https://other' }), 'https://hf-mirror.com');
    assert.equal(hubEndpoint('', { HF_ENDPOINT: 'https://hf-mirror.com' }), 'https://hf-mirror.com');
    assert.equal(hubEndpoint(undefined, {}), 'https://huggingface.co');
    assert.throws(() => hubEndpoint('ftp://x', {}), /must be an http or https URL/);
  });

  it('writes sizes as the Hub does', () => {
    assert.deepEqual([812, 4_200, 73_937, 1_400_000, 2_100_000_000].map(formatBytes), ['812 B', '4.2 kB', '74 kB', '1.4 MB', '2.1 GB']);
  });

  it('never sends the token over plain http to another host', async () => {
    freshCache();
    const error = await rejection(downloadModel('Xenova/gpt2-tiny', options({ endpoint: 'http://hub.example', token: TOKEN })));
    assert.equal(error.message, 'Not sending the access token over plain http to hub.example: use an https endpoint.');
  });
});
