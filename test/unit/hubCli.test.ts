// The CLI with Hub ids (node dist/cli.js against the stand-in Hub): --model downloads into the
// cache with progress on stderr, reuses it offline, names HF_TOKEN for gated models, and a path wins.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatBytes } from '../../src/hub/downloadModel';
import { FakeHub, repoFiles } from './fakeHub';
import { fixture, FIXTURES, REPO_ROOT } from './fixtures';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first.`);
let hub: FakeHub;
let scratch: string;
let gpt2: Map<string, Buffer>;

/** Runs the CLI without blocking this process, which serves the stand-in Hub meanwhile. */
function cli(args: string[], env: Record<string, string | undefined>, cwd = REPO_ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, HF_TOKEN: undefined, TI_CACHE: undefined, ...env }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'ti-hub-cli-'));
  gpt2 = repoFiles(FIXTURES, 'gpt2-tiny');
  hub = await FakeHub.start([
    { id: 'Xenova/gpt2-tiny', revisions: [{ names: ['main'], files: gpt2 }] },
    { id: 'acme/gated-tiny', revisions: [{ names: ['main'], files: gpt2 }], gatedToken: 'hf_cli_token' },
  ]);
});
after(async () => {
  await hub?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('transformer-inspector --model owner/name', () => {
  it('downloads into TI_CACHE with progress on stderr, then reuses the copy offline', async () => {
    const cache = path.join(scratch, 'env-cache');
    const first = await cli(['info', '--model', 'Xenova/gpt2-tiny'], { HF_ENDPOINT: hub.endpoint, TI_CACHE: cache });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Family: +decoder-only \(gpt2\)/);
    assert.match(first.stdout, /onnx\/model\.onnx /);
    assert.match(first.stderr, new RegExp(`^Hugging Face Hub: Xenova/gpt2-tiny \\(cache: ${cache.replace(/[/.]/g, '\\$&')}\\)\n`));
    const sizes = [...gpt2.entries()].filter(([file]) => !file.startsWith('README')).map(([, bytes]) => bytes.length);
    assert.ok(first.stderr.includes(`[6/6] onnx/model.onnx_data (${formatBytes(gpt2.get('onnx/model.onnx_data')!.length)})\n`), first.stderr);
    assert.match(first.stderr, new RegExp(`Xenova/gpt2-tiny at commit [0-9a-f]{7}: downloaded ${formatBytes(sizes.reduce((a, b) => a + b))} in [\\d.]+ s\n$`));
    assert.deepEqual(readdirSync(cache), ['models--Xenova--gpt2-tiny']);

    const offline = await cli(['info', '--model', 'Xenova/gpt2-tiny', '--json'], { HF_ENDPOINT: 'http://127.0.0.1:9', TI_CACHE: cache });
    assert.equal(offline.code, 0, offline.stderr);
    assert.equal(JSON.parse(offline.stdout).family, 'decoder-only');
    assert.match(offline.stderr, /note: Offline: Cannot reach 127\.0\.0\.1:9: connection refused \(ECONNREFUSED\)\. Using the copy of Xenova\/gpt2-tiny in the cache/);
  });

  it('--cache wins over TI_CACHE, and a gated model names HF_TOKEN', async () => {
    const cache = path.join(scratch, 'flag-cache');
    const refused = await cli(['info', '--model', 'acme/gated-tiny', '--cache', cache], { HF_ENDPOINT: hub.endpoint, TI_CACHE: path.join(scratch, 'unused') });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /acme\/gated-tiny is a gated model: the Hub answered 401 without an access token\. .*set HF_TOKEN to an access token from https:\/\/huggingface\.co\/settings\/tokens\./);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace for an expected error');
    const allowed = await cli(['info', '--model', 'acme/gated-tiny', '--cache', cache], { HF_ENDPOINT: hub.endpoint, HF_TOKEN: 'hf_cli_token' });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.ok(!allowed.stderr.includes('hf_cli_token') && !allowed.stdout.includes('hf_cli_token'), 'the token is never printed');
    assert.ok(existsSync(path.join(cache, 'models--acme--gated-tiny')));
    assert.equal(existsSync(path.join(scratch, 'unused')), false);
  });

  it('a path that exists wins over the Hub, and an unknown id says it is neither', async () => {
    const workdir = path.join(scratch, 'work');
    mkdirSync(path.join(workdir, 'Xenova'), { recursive: true });
    cpSync(fixture('bert-tiny'), path.join(workdir, 'Xenova', 'gpt2-tiny'), { recursive: true });
    hub.requests.length = 0;
    const local = await cli(['info', '--model', 'Xenova/gpt2-tiny'], { HF_ENDPOINT: hub.endpoint, TI_CACHE: path.join(scratch, 'path-cache') }, workdir);
    assert.equal(local.code, 0, local.stderr);
    assert.match(local.stdout, /Family: +encoder-only \(bert\)/);
    assert.equal(hub.requests.length, 0);
    const unknown = await cli(['info', '--model', 'Xenova/nothing-here'], { HF_ENDPOINT: hub.endpoint, TI_CACHE: path.join(scratch, 'path-cache') }, workdir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /There is no file or folder "Xenova\/nothing-here" here, so it was looked up on the Hub: The Hub \(http:\/\/127\.0\.0\.1:\d+\) has no model Xenova\/nothing-here\./);
  });
});
