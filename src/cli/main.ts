// `transformer-inspector`: the engine from a terminal, for scripts, reports and benchmarks.
// Runs the engine in-process; the extension runs the very same engine in a forked process.

import * as path from 'node:path';
import { parseArgs, ParseArgsConfig } from 'node:util';
import { BUNDLED_MODEL_NAME, bundledModelPath } from '../engine/bundledModel';
import { Engine } from '../engine/engine';
import { errorMessage, isEngineError } from '../engine/engineError';
import { parseAblation } from '../engine/headAblation';
import { MODEL_VARIANTS, ModelVariant } from '../engine/modelFolder';
import { reportStrings } from '../report/htmlReport';
import { modelInfoText } from '../report/modelInfoText';
import { runDemo } from './demoCommand';
import { runGenerate } from './generateCommand';
import { resolveModelArgument } from './hubModel';
import { runInspect } from './inspectCommand';
import { argumentsOfThisRun, commandLineTooLong, runWithArgumentsOnAPipe } from './longArguments';
import { readTextFile } from './textFile';
import { runTranslate } from './translateCommand';

const USAGE = `Usage: transformer-inspector <command> [options]

Commands:
  info      --model DIR|ID [--json]
            Summary of a model: family, sizes, ONNX files, what can be observed.
  inspect   --model DIR|ID (--text TEXT | --text-file FILE|-) [--target TEXT | --pair TEXT]
            [--qkv] [--ablate HEADS] [--json FILE|-] [--html FILE [--lang LANG]]
            Run the model once and report tokens, attention, hidden states, embeddings;
            --text-file reads the text from a file (- for standard input; one final
            line break is dropped), for texts too long for a command line;
            --qkv adds every attention group's queries, keys and values to the JSON;
            --ablate GROUP:LAYER:HEAD[,…] switches heads off (here and for translate,
            generate): their probabilities are zeroed before they meet the values;
            --pair gives an encoder-only model a sentence pair (token types 0 and 1);
            --html writes the panel as one offline HTML file; its labels follow the
            reader's browser language, or --lang (en, zh-cn).
  translate [--model DIR|ID] [--to zh|en|auto] [--beam N] [--no-guard] [--ablate HEADS] [--json] [TEXT ...]
            Translate TEXT, or standard input line by line (one output line per input
            line; empty lines are passed through at once). --json writes one JSON object per line with tokens, scores and the
            word alignment.
  generate  --model DIR|ID [--max-new-tokens N] [--beam N] [--no-guard] [--ablate HEADS] [--json] PROMPT ...
            Continue PROMPT with a decoder-only model (an encoder-decoder model
            translates it); --json adds tokens and scores.
  demo      [--out DIR]
            Translate a few sentences each way with the bundled model and write an
            inspection of one of them (default DIR: ./demo-output).

Options:
  --model DIR|ID     model folder (Hugging Face / Optimum layout) or .onnx file, or a
                     Hugging Face Hub id, owner/name[@revision] (a path that exists wins);
                     default: the bundled model
  --cache DIR        where Hub downloads go (default: $TI_CACHE, else
                     $XDG_CACHE_HOME/transformer-inspector/hub or ~/.cache/transformer-inspector/hub)
  --variant NAME     weights: ${MODEL_VARIANTS.join(', ')} (default fp32)
  --providers LIST   execution providers in order, e.g. cuda,cpu (default: platform list)
  --threads N        CPU threads (default: onnxruntime decides)
  --max-tokens N     cap on tokens per sequence (default 512; the model's own limit applies)
  --to LANG          for bilingual models: target language (en, zh, auto; default auto)
  --beam N           beam size (translation default 4; generation default 1: greedy)
  --max-new-tokens N tokens generate may add (default 32)
  --no-guard         decode exactly as the model scores: a word may follow itself and loops
                     are not cut (to compare with PyTorch's greedy search: --beam 1 --no-guard)
  -h, --help         this text

Environment: HF_TOKEN (access token for gated or private Hub models), HF_ENDPOINT
(another Hub, e.g. a mirror), TI_CACHE (the download cache).
`;

const OPTIONS = {
  model: { type: 'string' },
  text: { type: 'string' },
  'text-file': { type: 'string' },
  qkv: { type: 'boolean' },
  ablate: { type: 'string' },
  target: { type: 'string' },
  pair: { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  lang: { type: 'string' },
  variant: { type: 'string' },
  providers: { type: 'string' },
  threads: { type: 'string' },
  'max-tokens': { type: 'string' },
  to: { type: 'string' },
  beam: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  'no-guard': { type: 'boolean' },
  out: { type: 'string' },
  cache: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  // `--json` takes no value for info, translate and generate; give it an empty one so parseArgs accepts it.
  const flagJson = command === 'info' || command === 'translate' || command === 'generate';
  const normalized = flagJson ? rest.map((arg) => (arg === '--json' ? '--json=' : arg)) : rest;
  const { values, positionals } = parseArgs({ args: normalized, options: OPTIONS, allowPositionals: command === 'translate' || command === 'generate' });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!['info', 'inspect', 'translate', 'generate', 'demo'].includes(command)) throw new UsageError(`unknown command "${command}"`);
  if (command === 'inspect' && (values.text === undefined) === (values['text-file'] === undefined)) throw new UsageError('inspect needs --text "…" or --text-file FILE (one of them)');
  if (command === 'generate' && positionals.length === 0) throw new UsageError('generate needs a prompt');
  if (values.ablate !== undefined && !['inspect', 'translate', 'generate'].includes(command)) throw new UsageError('--ablate goes with inspect, translate and generate');
  if (values.lang !== undefined) {
    if (command !== 'inspect' || values.html === undefined) throw new UsageError('--lang goes with inspect --html');
    try {
      reportStrings(values.lang);
    } catch (error) {
      throw new UsageError(errorMessage(error));
    }
  }
  const text = command === 'inspect' ? (values.text ?? (await readTextFile(values['text-file']!))) : undefined;
  const engine = new Engine();
  try {
    const started = performance.now();
    const variant = variantOf(values.variant);
    const threads = positiveInteger(values.threads, '--threads');
    const loadModel = async () => {
      const model = command === 'demo' ? bundledOrFail() : await resolveModelArgument(modelPath(values.model), { cache: values.cache, variant });
      return engine.load(model, { variant, executionProviders: values.providers?.split(',').map((name) => name.trim()).filter(Boolean), threads });
    };
    if (command === 'translate') {
      // From standard input the model loads with the first line that has text in it.
      const options = { texts: positionals, targetLanguage: values.to, beamSize: positiveInteger(values.beam, '--beam'), repetitionGuard: !values['no-guard'], json: values.json !== undefined, ablate: values.ablate };
      if (positionals.length === 0) return await runTranslate(engine, options, once(loadModel));
      await loadModel();
      return await runTranslate(engine, options);
    }
    const info = await loadModel();
    const ablate = values.ablate !== undefined ? parseAblation(engine.current(), values.ablate) : undefined;
    switch (command) {
      case 'info':
        process.stdout.write(values.json !== undefined ? `${JSON.stringify(info, null, 2)}\n` : `${modelInfoText(info)}\n`);
        return 0;
      case 'inspect':
        return await runInspect(engine, {
          text: text!,
          target: values.target,
          pair: values.pair,
          maxTokens: positiveInteger(values['max-tokens'], '--max-tokens'),
          targetLanguage: values.to,
          qkv: values.qkv,
          ablate,
          json: values.json,
          html: values.html,
          lang: values.lang,
        });
      case 'generate':
        return await runGenerate(engine, {
          prompt: positionals.join(' '),
          maxNewTokens: positiveInteger(values['max-new-tokens'], '--max-new-tokens'),
          beamSize: positiveInteger(values.beam, '--beam'),
          repetitionGuard: !values['no-guard'],
          json: values.json !== undefined,
          ablate,
        });
      default:
        return await runDemo(engine, info.name, performance.now() - started, path.resolve(values.out ?? 'demo-output'));
    }
  } finally {
    await engine.dispose();
  }
}

function bundledOrFail(): string {
  const bundled = bundledModelPath();
  if (!bundled) throw new UsageError(`the bundled model (models/${BUNDLED_MODEL_NAME}) is missing from this installation`);
  return bundled;
}

function modelPath(given: string | undefined): string {
  if (given) return given;
  const bundled = bundledModelPath();
  if (!bundled) throw new UsageError('no --model given, and the bundled model is missing from this installation');
  return bundled;
}

function variantOf(value: string | undefined): ModelVariant | undefined {
  if (value === undefined) return undefined;
  if (!(MODEL_VARIANTS as readonly string[]).includes(value)) throw new UsageError(`--variant must be one of ${MODEL_VARIANTS.join(', ')}`);
  return value as ModelVariant;
}

function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new UsageError(`${flag} needs a positive whole number, not "${value}"`);
  return parsed;
}

/** `task` run at most once; every call gets the same promise. */
function once<T>(task: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= task());
}

const args = argumentsOfThisRun();
(commandLineTooLong() ? runWithArgumentsOnAPipe(args) : main(args)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`transformer-inspector: ${errorMessage(error)}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`transformer-inspector: ${errorMessage(error)}\n`);
    if (!isEngineError(error) && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
