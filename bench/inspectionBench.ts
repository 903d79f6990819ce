// Inspection speed: the instrumented sessions against the same ONNX files without added outputs
// (overhead), against the recipe's PyTorch model (speed and equality), and against the machine's floor.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { encoderOutputName, inspectionFetches, modelOutputFetches } from '../src/engine/fetchLists';
import { encodeWithinLimit, inspectTokens, type Encoded } from '../src/engine/inspector';
import { withSpinningFor, type LoadedModel, type StackRuntime } from '../src/engine/loadedModel';
import { buildFeeds } from '../src/engine/modelFeeds';
import { configNumber } from '../src/engine/modelFolder';
import { readOnnxFile } from '../src/engine/graph/onnxFile';
import { createSession } from '../src/engine/sessionFactory';
import type { Inspection } from '../src/protocol/inspection';
import { inspectionFlops } from './floorBench';
import { inBlocks, interleaved, median, round, sample, type Sample } from './stats';
import { atLeast, CHINESE_PROSE, ENGLISH_PROSE } from './texts';

/** An inspection as the panel gets it: the logit lens and FFN activations wait until their view asks. */
const asThePanelGetsIt = (model: LoadedModel, input: TokenCase['input']) => inspectTokens(model, { ...input, activationsView: 'on-demand' });

/** The logit lens of every stack that has one, computed as the panel's activations view asks for it. */
async function lensOf(inspection: Inspection): Promise<void> {
  for (const stack of inspection.stacks) await stack.deferredLogitLens?.();
}

/** The FFN activations of every stack, fetched as the activations view asks for them. */
async function ffnOf(inspection: Inspection): Promise<void> {
  for (const stack of inspection.stacks) await stack.deferredFfnActivations?.fetch();
}

export interface TokenCase {
  readonly name: string;
  readonly tokens: number;
  readonly input: { source: Encoded; target?: Encoded };
}

/**
 * The first `count` tokens of an encoding, keeping its leading and trailing special tokens (language
 * token, </s>): cutting the text instead can land a token short where a whole word is one piece.
 */
function firstTokens(encoded: Encoded, count: number): Encoded {
  const { tokens } = encoded;
  let lead = 0;
  while (lead < tokens.length && tokens[lead].special) lead++;
  let trail = 0;
  while (trail < tokens.length - lead && tokens[tokens.length - 1 - trail].special) trail++;
  const body = tokens.slice(lead, tokens.length - trail).slice(0, count - lead - trail);
  const kept = [...tokens.slice(0, lead), ...body, ...tokens.slice(tokens.length - trail)];
  return { tokens: kept, text: encoded.text.slice(0, body.at(-1)?.end ?? 0) };
}

/** Inputs of exactly `tokens` tokens per stack (the decoder gets Chinese prose of the same length). */
export function tokenCase(model: LoadedModel, tokens: number): TokenCase {
  const notices: string[] = [];
  const source = firstTokens(encodeWithinLimit(model, atLeast(ENGLISH_PROSE, tokens * 12), tokens + 16, true, notices, 'zh'), tokens);
  let target: Encoded | undefined;
  if (model.spec.family === 'encoder-decoder') {
    const start = configNumber(model.spec.config, 'decoder_start_token_id') ?? 0;
    const body = firstTokens(encodeWithinLimit(model, atLeast(CHINESE_PROSE, tokens * 6), tokens + 16, false, notices, undefined, false), tokens - 1);
    target = { text: body.text, tokens: [{ id: start, text: '<start>', start: 0, end: 0, special: true }, ...body.tokens] };
  }
  if (source.tokens.length !== tokens || (target && target.tokens.length !== tokens)) {
    throw new Error(`${model.spec.name}: could not build a ${tokens}-token input (got ${source.tokens.length}/${target?.tokens.length})`);
  }
  return { name: `${model.spec.name} @ ${tokens}`, tokens, input: { source, target } };
}

/** The model's own sessions, from the unedited ONNX bytes, with the same options. */
async function plainSessions(model: LoadedModel, threads: number): Promise<Map<StackRuntime, ort.InferenceSession>> {
  const sessions = new Map<StackRuntime, ort.InferenceSession>();
  for (const runtime of model.stacks) {
    const file = model.spec.files.get(runtime.role)!;
    // Spinning as the model's own sessions do it: another session's spinning threads would slow either side.
    const { session } = await createSession(readOnnxFile(file).bytes, path.dirname(file), withSpinningFor(model.spec, { executionProviders: ['cpu'], threads }));
    sessions.set(runtime, session);
  }
  return sessions;
}

/**
 * One forward pass of every stack (encoder, then the teacher-forced decoder). Both sessions fetch
 * the model outputs an inspection reports; the instrumented one adds the probes an inspection
 * fetches. The KV cache outputs, which neither needs, stay in onnxruntime on both sides.
 */
async function forward(model: LoadedModel, input: TokenCase['input'], sessionOf: (runtime: StackRuntime) => ort.InferenceSession, fetches: (runtime: StackRuntime) => string[]): Promise<void> {
  let encoderOutput: ort.Tensor | undefined;
  for (const runtime of model.stacks) {
    const tokens = runtime.stack === 'decoder' && input.target ? input.target.tokens : input.source.tokens;
    const outputs = await sessionOf(runtime).run(buildFeeds(runtime.inputs, { ids: tokens.map((token) => token.id), encoderHiddenStates: encoderOutput }), fetches(runtime));
    if (runtime.stack === 'encoder') encoderOutput = outputs[encoderOutputName(runtime)];
  }
}

export interface OverheadResult {
  readonly case: string;
  readonly plainRun: Sample;
  readonly instrumentedRun: Sample;
  /** The whole inspection the panel gets: outputs gathered into typed arrays (the logit lens waits). */
  readonly inspection: Sample;
  /** The logit lens, when the activations view asks for it (absent without an output head). */
  readonly logitLens?: Sample;
  /** The FFN activations, fetched when the activations view asks for them (absent where none are observed). */
  readonly ffnActivations?: Sample;
  /** Instrumented session.run ÷ plain session.run (the added outputs alone). */
  readonly runRatio: number;
  /** Whole inspection ÷ plain session.run. */
  readonly inspectionRatio: number;
}

/**
 * Rounds for one case: at least `repeats`, and enough that its plain runs add up to MIN_CASE_MS. A
 * 5 ms run's median over 20 rounds moved by 10–30% between runs on the shared machine; the ratio of
 * two such medians needs more of them.
 */
const MIN_CASE_MS = 3000;
const MAX_ROUNDS = 400;
async function roundsFor(repeats: number, plainRun: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await plainRun();
    times.push(performance.now() - started);
  }
  return Math.max(repeats, Math.min(MAX_ROUNDS, Math.ceil(MIN_CASE_MS / median(times))));
}

async function timed(task: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await task();
  return performance.now() - started;
}

export async function instrumentationOverhead(model: LoadedModel, cases: readonly TokenCase[], threads: number, repeats: number): Promise<OverheadResult[]> {
  const plain = await plainSessions(model, threads);
  const results: OverheadResult[] = [];
  try {
    for (const entry of cases) {
      const plainRun = () => forward(model, entry.input, (runtime) => plain.get(runtime)!, modelOutputFetches);
      const rounds = await roundsFor(repeats, plainRun);
      const times = await interleaved({
        plain: plainRun,
        instrumented: () => forward(model, entry.input, (runtime) => runtime.session, (runtime) => inspectionFetches(runtime, { ffn: false })),
        inspection: () => asThePanelGetsIt(model, entry.input),
      }, rounds);
      // The on-demand views apart: Inspect Selection never runs them, so their garbage and their own
      // sessions' use of the caches stay out of the inspections timed above.
      const lensMs: number[] = [];
      const ffnMs: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const inspected = await asThePanelGetsIt(model, entry.input);
        lensMs.push(await timed(() => lensOf(inspected)));
        ffnMs.push(await timed(() => ffnOf(inspected)));
      }
      const lens = model.stacks.some((runtime) => runtime.lens) ? lensMs : undefined;
      const ffn = model.stacks.some((runtime) => runtime.probes.ffn) ? ffnMs : undefined;
      results.push({
        case: entry.name,
        plainRun: sample(times.plain),
        instrumentedRun: sample(times.instrumented),
        inspection: sample(times.inspection),
        logitLens: lens && sample(lens),
        ffnActivations: ffn && sample(ffn),
        runRatio: round(median(times.instrumented) / median(times.plain), 3),
        inspectionRatio: round(median(times.inspection) / median(times.plain), 3),
      });
    }
  } finally {
    await Promise.all([...plain.values()].map((session) => session.release()));
  }
  return results;
}

export interface TorchResult {
  readonly case: string;
  readonly ours: Sample;
  readonly torch: Sample;
  /** PyTorch median ÷ our median: how many times faster the engine is. */
  readonly speedup: number;
  /** Largest absolute difference per compared tensor. */
  readonly maxAbsDiff: Record<string, number>;
  readonly torchVersion: string;
  readonly blas: string;
  /** Matrix-product work of one inspection, and the rate PyTorch ran it at. */
  readonly gflop: number;
  readonly torchGflops: number;
  /** The rate an engine twice as fast as PyTorch would need, against the best this BLAS reached on one large product. */
  readonly twiceTorchGflops: number;
  readonly blasPeakGflops: number;
}

/** training/bench_torch.py as a process that answers one command per line. */
class TorchProcess {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: string[] = [];
  private waiting?: (line: string) => void;

  constructor(args: string[]) {
    this.child = spawn('/usr/bin/python3', args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let buffered = '';
    this.child.stdout.on('data', (data: Buffer) => {
      buffered += data.toString();
      let at: number;
      while ((at = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        if (this.waiting) {
          const resolve = this.waiting;
          this.waiting = undefined;
          resolve(line);
        } else this.lines.push(line);
      }
    });
  }

  ask(command: string): Promise<string> {
    this.child.stdin.write(command + '\n');
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.child.once('exit', (code) => reject(new Error(`bench_torch.py exited (${code})`)));
    });
  }

  close(): void {
    this.child.stdin.end('quit\n');
  }
}

/**
 * PyTorch eager (training/bench_torch.py) with the same weights, inputs and thread count: the
 * recipe's model for the translator, the fixture's BERT modules for the BERT-base-shaped model; its runs alternating with ours in blocks so that drift on a busy machine hits both alike.
 */
export async function againstPyTorch(model: LoadedModel, cases: readonly TokenCase[], threads: number, repeats: number, workDir: string, repoRoot: string): Promise<TorchResult[]> {
  const casesFile = path.join(workDir, `torch-cases-${model.spec.name}.json`);
  const outFile = path.join(workDir, `torch-results-${model.spec.name}.json`);
  writeFileSync(casesFile, JSON.stringify(cases.map((entry) => ({
    name: entry.name,
    source_ids: entry.input.source.tokens.map((token) => token.id),
    target_ids: entry.input.target?.tokens.map((token) => token.id),
  }))));
  // The translator is the recipe's own model; an encoder-only model is the benchmark's BERT, whose weights its builder saved.
  const bert = model.spec.family === 'encoder-only' ? ['--bert'] : [];
  const torch = new TorchProcess([path.join(repoRoot, 'training', 'bench_torch.py'), '--model', model.spec.folder, '--cases', casesFile, '--out', outFile, '--threads', String(threads), ...bert]);
  try {
    const timed: { ours: number[]; torch: number[] }[] = [];
    for (const [index, entry] of cases.entries()) {
      const torchMs: number[] = [];
      const times = await inBlocks({
        ours: () => asThePanelGetsIt(model, entry.input),
        torch: async () => torchMs.push(Number(await torch.ask(`run ${index}`))),
      }, repeats);
      // PyTorch's own clock, without the pipe; its warm-up runs are dropped.
      timed.push({ ours: times.ours, torch: torchMs.slice(torchMs.length - times.torch.length) });
    }
    await torch.ask('dump');
    const blasGflops = { 512: Number(await torch.ask('matmul 512')), 1024: Number(await torch.ask('matmul 1024')) };
    const facts = JSON.parse(readFileSync(outFile, 'utf8')) as { torch: string; blas: string; threads: number; blasThreads: number | null; cases: { tensors: Record<string, { offset: number; dims: number[] }> }[] };
    // A BLAS with more threads than ours would make the comparison unequal.
    if (facts.threads !== threads || (facts.blasThreads !== null && facts.blasThreads !== threads)) {
      throw new Error(`PyTorch ran with ${facts.threads} threads and BLAS ${facts.blasThreads} threads, not ${threads}`);
    }
    const blob = readFileSync(outFile.replace(/\.json$/, '.bin'));
    const results: TorchResult[] = [];
    for (const [index, entry] of cases.entries()) {
      const tensors = facts.cases[index].tensors;
      const tensor = (name: string) => {
        const { offset, dims } = tensors[name];
        const size = dims.reduce((a, b) => a * b, 1);
        return new Float32Array(blob.buffer.slice(blob.byteOffset + offset, blob.byteOffset + offset + size * 4));
      };
      const { ours, torch: theirs } = timed[index];
      const flops = inspectionFlops(model, entry.input.source.tokens.length, entry.input.target?.tokens.length ?? 0);
      results.push({
        case: entry.name,
        ours: sample(ours),
        torch: sample(theirs),
        speedup: round(median(theirs) / median(ours), 2),
        maxAbsDiff: compareWithTorch(await inspectTokens(model, entry.input), tensor),
        torchVersion: facts.torch,
        blas: `${facts.blas}, ${facts.blasThreads ?? '?'} BLAS thread(s); its matmul 512³ ${blasGflops[512]} GFLOP/s, 1024³ ${blasGflops[1024]} GFLOP/s`,
        gflop: round(flops / 1e9, 3),
        torchGflops: round(flops / (median(theirs) * 1e6), 1),
        twiceTorchGflops: round((2 * flops) / (median(theirs) * 1e6), 1),
        blasPeakGflops: Math.max(blasGflops[512], blasGflops[1024]),
      });
    }
    return results;
  } finally {
    torch.close();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function compareWithTorch(inspection: Inspection, torch: (name: string) => Float32Array): Record<string, number> {
  const diffs: Record<string, number> = {};
  for (const group of inspection.attention) diffs[`${group.stack}.${group.kind}`] = maxAbsDiff(group.tensor.data, torch(`${group.stack}.${group.kind}`));
  for (const stack of inspection.stacks) {
    if (stack.hiddenStates) diffs[`${stack.stack}.hidden`] = maxAbsDiff(stack.hiddenStates.data, torch(`${stack.stack}.hidden`));
  }
  if (inspection.logits) diffs.logits = maxAbsDiff(inspection.logits.data, torch('logits'));
  return Object.fromEntries(Object.entries(diffs).map(([name, value]) => [name, Number(value.toExponential(2))]));
}
