"""Stage `card`: write MODEL_CARD.md from the recorded facts (packages, data stats, config,
training log and runs, evaluation). Nothing in the card is typed by hand except the fixed prose
here and the verdicts of eval/card_verdicts.tsv (one person's judgement of each table output)."""
import json
import os
import platform

import torch

import config
import warm_start
from common import HERE, LANG_TOKENS, read_json, read_jsonl, work
from metrics import chrf
from tokenizer import Tok

SOURCE_NAMES = {"ui": "LibreOffice UI", "help": "LibreOffice help", "chromium": "Chromium", "firefox": "Firefox ESR",
                "thunderbird": "Thunderbird", "monaco": "monaco-editor (VS Code's editor)", "typescript": "TypeScript",
                "nodered": "Node-RED", "excalidraw": "Excalidraw", "aggrid": "AG Grid", "cldr": "Unicode CLDR emoji names",
                "postgresql": "PostgreSQL", "django": "Django", "sphinx": "Sphinx", "notebook": "Jupyter Notebook",
                "xkb": "xkeyboard-config (keyboard layouts)"}
# How each source's pairs were aligned, and where they come from (what fetch.py / prepare.py do).
ALIGNMENT = {
    "ui": "gettext catalogs of `libreoffice-l10n-zh-cn`: msgid → msgstr (msgctxt dropped, mnemonics `_`/`~`/`(_X)` removed)",
    "help": "help pages of `libreoffice-help-en-us` and `-zh-cn`: paragraphs aligned by their `par_id`/`hd_id` element ids, markup stripped",
    "chromium": "`locales/en-US.pak` (`chromium-common`) against `zh-CN.pak` (`chromium-l10n`): resources aligned by message id; HTML/JS bodies, locale settings and `third_party/` resources left out",
    "firefox": "`.ftl`/`.properties` of the en-US `omni.ja` inside `firefox-esr` against the `langpack-zh-CN` of `firefox-esr-l10n-zh-cn`: messages and attributes aligned by file and key; non-text keys (`.accesskey`, `.width` …) left out",
    "thunderbird": "as Firefox, `thunderbird` against `thunderbird-l10n-zh-cn`; files shared with Firefox's toolkit mostly fall out as duplicates",
    "monaco": "the `monaco-editor` npm package: the English of each `localize(index, …)` call of its ESM build against entry `index` of `vs/nls/lang/zh-cn.js`",
    "typescript": "the `typescript` npm package: compiler diagnostics, English from the `diag(code, category, key, text)` table of `lib/typescript.js` against `lib/zh-cn/diagnosticMessages.generated.json` by key",
    "nodered": "the `@node-red/editor-client`, `/nodes` and `/runtime` npm packages: `locales/en-US/*.json` against `locales/zh-CN/*.json` by key path; messages that only reference others left out",
    "excalidraw": "the `@excalidraw/excalidraw` npm package: its built `locales/en-*.js` against `locales/zh-CN-*.js` by key path (read by Node, `training/dump_locale.mjs`)",
    "aggrid": "the `@ag-grid-community/locale` npm package: `AG_GRID_LOCALE_EN` against `AG_GRID_LOCALE_CN` by key",
    "cldr": "the `cldr-annotations-full` npm package: every emoji's English name against its Chinese one (`tts`, e.g. cat face → 猫脸), and country names from the flags of `cldr-annotations-derived-full`",
    "postgresql": "gettext catalogs (`*-15.mo`, zh_CN) of `postgresql-15` and `postgresql-client-15`: the server's and the command-line tools' messages and `--help` lines, msgid → msgstr",
    "django": "gettext catalogs of `python3-django` (`zh_Hans`, the framework and its contrib apps: admin, auth …), msgid → msgstr",
    "sphinx": "the gettext catalog `sphinx.mo` (zh_CN) of `sphinx-common`, msgid → msgstr",
    "notebook": "`python3-notebook`'s zh_CN catalogs: `notebook.mo`, `nbui.mo` and the browser UI's `nbjs.json`, msgid → msgstr",
    "xkb": "the gettext catalog `xkeyboard-config.mo` (zh_CN) of `xkb-data`: keyboard layout and option names, msgid → msgstr",
}
# The previously shipped model's scores (LibreOffice only, 8k vocabulary), the figures to beat.
PREVIOUS = {"test.en-zh": 23.9, "test.zh-en": 43.0, "software.en-zh": 32.8, "software.zh-en": 56.4}
TARGETS = {"ood.en-zh": 35.0, "ood.zh-en": 50.0}
TOKENIZED_EXAMPLES = ["The cat sat on the mat because it was tired.", "Transformer", "保存文档中的修改。"]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "CPU"


def cell(scores):
    return f"{scores['chrF']:.1f} / {scores['BLEU']:.1f}" if scores else "n/a"


def score_rows(rep, base):
    rows = []
    for key in ("test.en-zh", "test.zh-en", "ood.en-zh", "ood.zh-en", "software.en-zh", "software.zh-en"):
        r = rep.get(key)
        if not r:
            continue
        for kind in r["fp32"]:
            get = lambda decoding: r.get(decoding, {}).get(kind)
            rows.append(f"| {key.split('.')[0]} | {key.split('.')[1]} | {SOURCE_NAMES.get(kind, kind)} | {r['fp32'][kind]['n']} | "
                        f"{cell(get('fp32'))} | {cell(get('int8'))} | {cell(get('engine'))} | "
                        f"{cell(base.get(key, {}).get('engine', {}).get(kind))} |")
    return rows


def libreoffice_chrf(scores):
    """chrF of the LibreOffice part of a test report (the previous model's test set was LibreOffice only)."""
    lo = [scores[k] for k in ("ui", "help") if k in scores]
    return sum(s["chrF"] * s["n"] for s in lo) / max(1, sum(s["n"] for s in lo)) if lo else None


def target_rows(rep, base):
    rows = []
    for key, floor in {**TARGETS, **PREVIOUS}.items():
        engine, before = rep.get(key, {}).get("engine", {}), base.get(key, {}).get("engine", {})
        got, old = engine.get("all", {}).get("chrF"), before.get("all", {}).get("chrF")
        greedy = rep.get(key, {}).get("fp32", {}).get("all", {}).get("chrF")
        goal = f"≥ {floor:.0f}" if key in TARGETS else f"> {floor} (previous model's card) and > previous model here"
        if key.startswith("test."):  # compare on the sources the previous card's figure was measured on
            got, old = libreoffice_chrf(engine), libreoffice_chrf(before)
            goal += ", LibreOffice part"
        if got is None:
            met = "n/a"
        elif key in TARGETS:
            met = "met" if got >= floor else "**not met**"
        else:
            met = "met" if got > floor and (old is None or got > old) else "**not met**"
        show = lambda v: "n/a" if v is None else f"{v:.1f}"
        rows.append(f"| {key} | {goal} | {show(got)} | {show(greedy)} | {show(old)} | {met} |")
    return rows


def card_table(run_dir):
    """The thirty strings both ways with the extension's output and, where someone judged it, the verdict."""
    verdicts = {}
    path = os.path.join(HERE, "eval", "card_verdicts.tsv")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if line.strip() and not line.startswith("#"):
                direction, source, output, verdict = line.rstrip("\n").split("\t")
                verdicts[(direction, source, output)] = verdict
    rows, judged = [], 0
    for direction in ("en-zh", "zh-en"):
        hyps = os.path.join(run_dir, f"hyps.card.{direction}.jsonl")
        for r in read_jsonl(hyps) if os.path.exists(hyps) else []:
            verdict = verdicts.get((direction, r["src"], r["engine"]))
            judged += verdict is not None
            rows.append(f"| {direction} | {r['kind'].split(':')[1]} | {r['src']} | {r['engine']} | {r['ref']} | "
                        f"{chrf([r['engine']], [r['ref']]):.0f} | {verdict or 'not judged'} |")
    return rows, judged


def examples(run_dir, key, k=3):
    path = os.path.join(run_dir, f"hyps.{key}.jsonl")
    if not os.path.exists(path):
        return []
    rows = read_jsonl(path)
    out = "engine" if rows and "engine" in rows[0] else "fp32"
    scored = sorted(((chrf([r[out]], [r["ref"]]), r[out], r) for r in rows if len(r["src"]) < 120), key=lambda x: -x[0])
    return [("good", s, o, r) for s, o, r in scored[:k]] + [("bad", s, o, r) for s, o, r in scored[-k:]]


def data_section(stats, pkgs):
    lines = ["| source | aligned by | raw pairs | after filters | after dedup | train | dev | test | held out (ood) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, s in stats["sources"].items():
        lines.append(f"| {SOURCE_NAMES.get(name, name)} | {ALIGNMENT.get(name, '')} | {s['raw']:,} | {s['after_filters']:,} | "
                     f"{s['after_dedup']:,} | {s['train']:,} | {s['dev']:,} | {s['test']:,} | {s['ood']:,} |")
    lines.append(f"| **total** | | {stats['raw_pairs']['total']:,} | {stats['after_filters']:,} | {stats['after_dedup']:,} | "
                 f"{stats['train']['total']:,} | {stats['dev']['total']:,} | {stats['test']['total']:,} | {stats.get('ood', {}).get('total', 0):,} |")
    pk = "\n".join(f"- `{p}` {v['version']} ({v.get('architecture', v['source'])}, from {v['source']}), licence {v['licence']}"
                   for p, v in pkgs.items())
    return pk, "\n".join(lines)


def tokenizer_section(tok):
    study = work("vocab-study", "results.json")
    lines = []
    if os.path.exists(study):
        res = read_json(study)
        lines = ["| vocabulary | en pieces per word (test / held-out source) | zh pieces per word (test / held-out source) | "
                 "unk per 1,000 pieces (held-out source) | everyday en pieces per word | everyday zh pieces per word | "
                 "pieces seen < 10 times in training | The cat sat on the mat because it was tired. |",
                 "|---|---|---|---|---|---|---|---|"]
        for name, r in res.items():
            # zh words are counted only where vocab_study.py found jieba (apt python3-jieba)
            zh = (f"{r['test']['zh_pieces_per_word']:.2f} / {r['ood']['zh_pieces_per_word']:.2f}"
                  if "zh_pieces_per_word" in r["test"] else "n/a (no jieba)")
            every = r.get("everyday", {})
            cat = r["examples"].get(TOKENIZED_EXAMPLES[0], [])
            lines.append(f"| {name} | {r['test']['en_pieces_per_word']:.2f} / {r['ood']['en_pieces_per_word']:.2f} | "
                         f"{zh} | {r['ood']['unk_per_1000_pieces']:.2f} | {every.get('en_pieces_per_word', float('nan')):.2f} | "
                         f"{every.get('zh_pieces_per_word', float('nan')):.2f} | "
                         f"{100 * r['vocab']['rare_lt10_in_train'] / r['vocab']['size']:.0f}% | {len(cat)}: `{' '.join(cat)}` |")
    shown = [f"- `{text}` → `{' '.join(tok.sp.id_to_piece(i) for i in tok.pieces(text))}`" for text in TOKENIZED_EXAMPLES]
    return "\n".join(lines), "\n".join(shown)


def runs_section(run_dir, init, this_model):
    """Table rows for every run the weights went through (earlier models' first), whether any was on a GPU,
    and the records to keep beside the model (warm_start.HISTORY_FILE)."""
    path = os.path.join(run_dir, "runs.jsonl")
    own = [dict(r, model=this_model) for r in (read_jsonl(path) if os.path.exists(path) else [])]
    runs = (init["history"] if init else []) + own
    rows = [f"| {r['model']} | {r['device']} | {r['threads']} | {r['from_step']:,} → {r['to_step']:,} | {r['wall_s'] / 60:.0f} min | {r['stopped_by']} |"
            for r in runs]
    gpu = any("cpu (" not in r["device"] for r in runs)
    return rows, gpu, runs


def run(cfg):
    run_dir, out = cfg["run_dir"], cfg["out_dir"]
    ck = torch.load(os.path.join(run_dir, "ckpt.pt"), map_location="cpu")
    state, tcfg = ck["state"], ck["cfg"]
    n_params = sum(v.numel() for k, v in ck["model"].items())
    stats, pkgs = read_json(work("data", "stats.json")), read_json(work("packages.json"))
    rep = read_json(os.path.join(run_dir, "eval.json")) if os.path.exists(os.path.join(run_dir, "eval.json")) else {}
    base_path = os.path.join(run_dir, "baseline.json")  # the previous model on the same sentences (stage baseline)
    base = read_json(base_path) if os.path.exists(base_path) else {}
    log = read_jsonl(os.path.join(run_dir, "log.jsonl")) if os.path.exists(os.path.join(run_dir, "log.jsonl")) else []
    dev_losses = [(r["step"], r["dev_loss"]) for r in log if "dev_loss" in r]
    shown_losses = dev_losses[::4] + [d for d in dev_losses[-1:] if d not in dev_losses[::4]]  # every 4th, and the last
    pk, data_table = data_section(stats, pkgs)
    held = stats["held_out_sources"]
    vocab_table, tokenized = tokenizer_section(Tok())
    init = state.get("init")
    sources = ", ".join(SOURCE_NAMES.get(k, k) for k, v in stats["sources"].items() if v["train"])
    this_model = f"{sources}; {tcfg['vocab_size']:,}-piece vocabulary, {tcfg['enc_layers']}+{tcfg['dec_layers']} layers"
    run_rows, on_gpu, runs = runs_section(run_dir, init, this_model)
    with open(os.path.join(out, warm_start.HISTORY_FILE), "w") as f:
        json.dump({"runs": runs}, f, indent=1)
    lr = dict(tcfg, **state.get("continued_lr", tcfg["continued_lr"])) if init else tcfg
    origin = (f"It continues the previously bundled model's training (its weights are the starting point: "
              f"{init['old_layers'][0]}+{init['old_layers'][1]} layers, {init['old_vocab']:,}-piece vocabulary; see Training) "
              f"on the translations that {sources} ship") if init else \
        f"It was trained from scratch on the translations that {sources} ship"
    n_added = init["new_layers"][0] - init["old_layers"][0] if init else 0
    added = f", the {n_added} added encoder layers start as identities (zero output projections)" if n_added else ""
    start = (f"- **Started from the previously bundled model** (`{init['from']}`), not from random weights: its layers "
             f"are copied{added}, and of the {tcfg['vocab_size']:,} pieces {init['pieces_copied_whole']:,} keep their old "
             f"embedding while the others start from the mean embedding of their text's old pieces (`training/warm_start.py`). "
             f"The learning rate warms up again over {lr['warmup']} steps to a lower peak (scale {lr['lr_scale']}).\n") if init else ""
    table_rows, judged = card_table(run_dir)
    files = []
    for root, _, names in os.walk(out):
        for n in sorted(names):
            p = os.path.join(root, n)
            if n.endswith((".onnx", ".json", ".data")):
                files.append(f"| `{os.path.relpath(p, out)}` | {os.path.getsize(p) / 1e6:.2f} MB |")
    onnx_lines = [f"- {k}: {rep[k].get('onnx_fp32_vs_pytorch', 'n/a')}; int8 output identical to fp32 for "
                  f"{rep[k].get('int8_same_as_fp32', 'n/a')} of {rep[k]['fp32']['all']['n']} sentences"
                  for k in ("test.en-zh", "test.zh-en") if k in rep]
    ex_lines = []
    for key in ("ood.en-zh", "ood.zh-en", "software.en-zh", "software.zh-en"):
        for label, s, output, r in examples(run_dir, key):
            ex_lines.append(f"| {key} | {label} | {r['src']} | {output} | {r['ref']} | {s:.0f} |")
    default_steps = config.CONFIGS[cfg["name"]]["max_steps"]
    cool = state.get("cooldown")
    cooldown_text = (f"; its last {cool['to'] - cool['from']:,} steps (from step {cool['from']:,}) a cooldown, the learning "
                     f"rate falling linearly from {cool['lr']:.2e} to zero (`run.py --cooldown`)") if cool else ""
    steps_of = "steps" if cool else f"of {default_steps:,} planned steps"
    epochs = state["epoch"] + (state["batch"] / ((state["step"] - state["batch"]) / state["epoch"]) if state["epoch"] else 0)
    limited = f" (a sample of {cfg['eval_limit']} sentences per set)" if cfg.get("eval_limit") else ""
    md = f"""# en-zh-transformer — bundled English↔Chinese translation model

A small encoder-decoder Transformer ("Attention Is All You Need") that translates English→Simplified
Chinese and Chinese→English with one set of weights. The direction is chosen by a target-language
token prepended to the source: `{LANG_TOKENS['zh']}` (into Chinese) or `{LANG_TOKENS['en']}` (into
English), Marian-multilingual style (`config.json` → `language_tokens`). {origin}, and is meant for short
software text (UI strings, messages, comments, help sentences) shown on hover in Transformer
Inspector. Recipe: `training/` (see `training/README.md`).

## Files

| file | size |
|---|---|
{chr(10).join(files)}

ONNX in the Hugging Face Optimum layout with Marian's I/O names, opset 14:
- `onnx/encoder_model.onnx`: `input_ids`, `attention_mask` (int64 [batch, seq]) → `last_hidden_state`.
- `onnx/decoder_model_merged.onnx`: inputs `encoder_attention_mask`, `input_ids`, `encoder_hidden_states`,
  `past_key_values.{{i}}.decoder.key/value`, `past_key_values.{{i}}.encoder.key/value`, `use_cache_branch`
  (bool [1]); outputs `logits`, `present.{{i}}.*` ([batch, heads, seq, head_dim]).
- `*_quantized.onnx`: int8 dynamic quantization of every weight MatMul (`training/quantize.py`).
Attention is written out (MatMul → Div(√d) → Add(mask) → Softmax → MatMul), so the attention
probabilities of every layer and head are visible as Softmax outputs, including inside the `If` branches.

## Data

Openly licensed software translations, fetched offline from Debian 12 (`apt-get download`) and the npm
registry; every licence checked in the package's copyright file or LICENSE (`training/fetch.py` stops
if a copyright stanza changes). No GPL/LGPL-only catalogue is used; Thunderbird's tri-licensed files
are taken under MPL-2.0.
{pk}

{data_table}

Filters (`training/prepare.py`): Unicode NFC, whitespace runs → one space; pairs dropped when empty,
identical on both sides, untranslated, only placeholders, identifiers, longer than {tcfg['max_len']} pieces,
with an implausible length ratio, or whose placeholders differ; exact (en, zh) duplicates removed, earlier
sources first. Pairs equal to a sentence of `training/eval/software.tsv` or `card_table.tsv` are removed.

Held out: in-domain dev/test by whole file (LibreOffice UI catalogs {', '.join(held['ui_dev'])} / {', '.join(held['ui_test'])},
{held['help_dev_pages']} / {held['help_test_pages']} help pages, {held['other_dev_groups']} / {held['other_test_groups']} files of the other
sources), and **one whole source, {', '.join(SOURCE_NAMES.get(s, s) for s in held['ood_sources'])}, never seen in training**, as
the out-of-domain test (held-out pairs whose English or Chinese side occurs in training are dropped).

## Tokenizer

Joint SentencePiece **Unigram** model, {tcfg['vocab_size']:,} pieces, trained on the training split of both
languages plus everyday text adding {tcfg.get('everyday_share', 0):g}× its characters in each language
(`training/everyday.py`: the glosses and example sentences of WordNet 3.0, `wordnet-base`; lines sampled from
the 60,000 most frequent words of jieba's dictionary by their frequency, `python3-jieba`), so that words
outside software text are not split into letters (`character_coverage=1.0`, digits split, no byte fallback).
The size and the everyday share were chosen by measuring the pieces per word on held-out text of both
languages for each candidate (`training/vocab_study.py`): the in-domain test split, the held-out source, and
everyday text held out from the tokenizer's corpus (one WordNet synset in ten; one dictionary word in ten,
weighted by its frequency). A larger vocabulary costs compute in the output projection and leaves more
pieces barely trained (column 7); {tcfg['vocab_size']:,} with everyday text is shorter than the previous 12,000 on
every held-out set, software text included:

{vocab_table}

The sentences that a learner inspects first:
{tokenized}

`tokenizer.json` (NFC + whitespace normaliser, Metaspace, Unigram, `$A </s>`) reproduces sentencepiece's
segmentation (`training/check_tokenizer.mjs`). Ids: `<pad>`=0, `</s>`=1, `<unk>`=2, `>>en<<`=3, `>>zh<<`=4.

## Model

| | |
|---|---|
| architecture | encoder-decoder Transformer, pre-LN (x + Sublayer(LayerNorm(x)), final LayerNorm on both stacks), ReLU FFN, sinusoidal positions |
| d_model / heads / FFN | {tcfg['d_model']} / {tcfg['heads']} / {tcfg['ffn_dim']} |
| layers | {tcfg['enc_layers']} encoder + {tcfg['dec_layers']} decoder |
| embeddings | one matrix shared by encoder input, decoder input and output projection, scaled by √d |
| parameters | {n_params:,} |
| max positions | {tcfg['max_pos']} |
| decoder start | `<pad>` (id 0), Marian convention; generation stops at `</s>` (id 1) |

## Training

Both directions in every batch, length-bucketed batches of ≤{tcfg['batch_tokens']:,} tokens, label smoothing
{tcfg['label_smoothing']}, Adam β=({tcfg['adam_betas'][0]}, {tcfg['adam_betas'][1]}), the paper's warm-up schedule
({lr['warmup']} steps, scale {lr['lr_scale']}){cooldown_text}, dropout {tcfg['dropout']}. On an NVIDIA GPU the forward pass
runs under bf16 autocast.

{start}- **{state['step']:,} {steps_of}** ({epochs:.1f} epochs, {state['tokens']:,} source+target tokens),
  {state['wall'] / 3600:.1f} h of training wall time, PyTorch {torch.__version__}.
- {'Trained in part on a GPU' if on_gpu else f'Trained on the CPU only ({cpu_name()}, 2 cores, shared with other work)'}; every invocation of the train stage:

| model (data; vocabulary, layers) | device | threads | steps | wall time | stopped by |
|---|---|---|---|---|---|
{chr(10).join(run_rows) or '| (no record) | | | | | |'}

- Dev loss (no smoothing) at checkpoints: {', '.join(f'{s}: {l:.2f}' for s, l in shown_losses) or 'n/a'}.

## Quality

chrF = chrF2 and BLEU with sacreBLEU's definitions (`training/metrics.py`); BLEU on Chinese is
character-level. **engine** is what the extension shows: the fp32 ONNX files in the project's own engine
(`dist/cli.js translate`: beam of 4, a word never written twice in a row); fp32 is PyTorch's greedy
search, int8 the quantized files' greedy search in onnxruntime-node{limited}. **previous model** is the model
this one replaces ({base.get('model', 'n/a')}, {base.get('vocab_size', 0):,}-piece vocabulary, {'+'.join(map(str, base.get('layers', [])))} layers)
through the same engine on the same sentences (stage `baseline`).

| set | direction | source | n | fp32 greedy chrF / BLEU | int8 greedy | engine | previous model, engine |
|---|---|---|---|---|---|---|---|
{chr(10).join(score_rows(rep, base))}

Against the targets (engine chrF):

| set | goal | engine | fp32 greedy | previous model, engine | |
|---|---|---|---|---|---|
{chr(10).join(target_rows(rep, base))}

ONNX checks:
{chr(10).join(onnx_lines)}

### Thirty short software strings

Written for this card (`training/eval/card_table.tsv`), never in training; the engine's output, the
reference, sentence chrF, and a verdict where someone judged the output ({judged} of {len(table_rows)} judged,
`training/eval/card_verdicts.tsv`).

| direction | kind | source | output | reference | chrF | verdict |
|---|---|---|---|---|---|---|
{chr(10).join(table_rows)}

### Examples (engine, sentence chrF)

| set | | source | output | reference | chrF |
|---|---|---|---|---|---|
{chr(10).join(ex_lines)}

## Known limits

- {'Trained for fewer steps than planned: ' if state['step'] < default_steps and not cool else 'Trained on the CPU for ' if not on_gpu else ''}{epochs:.1f} epochs of the data{'; the dev loss was still falling before the cooldown' if cool else ''}.
- Small model: short UI strings and messages are the strong case; long sentences are best read as a gist.
- Characters never seen in training become `<unk>`; Chinese input with rare characters suffers.
- Placeholders (`%1`, `$name$`, `{{0}}`) are usually copied, not reliably.
- The PyTorch weights are not laid out as Hugging Face's MarianMTModel; only the ONNX files and the
  configs follow the HF/Optimum layout.
"""
    with open(os.path.join(out, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write(md)
    print(f"card: wrote {os.path.join(out, 'MODEL_CARD.md')}")
