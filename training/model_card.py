"""Stage `card`: write MODEL_CARD.md from the recorded facts (packages, data stats, config,
training log, evaluation). Nothing in the card is typed by hand except the fixed prose here."""
import json
import os
import platform

import torch

import config
from common import LANG_TOKENS, read_json, read_jsonl, work
from metrics import chrf

def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "CPU"


CPU = f"2-core {cpu_name()} VM (shared with other jobs), 24 GiB RAM, no GPU"


def fmt_scores(rep, key, kind="all"):
    r = rep.get(key, {})
    f, q = r.get("fp32", {}).get(kind), r.get("int8", {}).get(kind)
    cell = lambda s: f"{s['chrF']:.1f} / {s['BLEU']:.1f}" if s else "n/a"
    n = (f or {}).get("n", "")
    return f"| {key.split('.')[1]} | {kind} | {n} | {cell(f)} | {cell(q)} |"


def examples(run_dir, key, k=3):
    path = os.path.join(run_dir, f"hyps.{key}.jsonl")
    if not os.path.exists(path):
        return []
    rows = read_jsonl(path)
    scored = sorted(((chrf([r["fp32"]], [r["ref"]]), r) for r in rows if len(r["src"]) < 120), key=lambda x: -x[0])
    return [("good", s, r) for s, r in scored[:k]] + [("bad", s, r) for s, r in scored[-k:]]


def ln_comparison(run_dir, dev_losses):
    """Dev loss of the abandoned post-LN run (same data, schedule and batches) next to this run."""
    path = os.path.join(os.path.dirname(run_dir), "full-postln", "log.jsonl")
    if os.path.exists(path):
        post = {r["step"]: r["dev_loss"] for r in read_jsonl(path) if "dev_loss" in r}
    else:  # the figures that run recorded, committed with the recipe
        recorded = read_json(os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval", "postln_dev_loss.json"))
        post = {int(step): loss for step, loss in recorded["dev_loss"].items()}
    rows = [f"| {s} | {post[s]:.2f} | {l:.2f} |" for s, l in dev_losses if s in post]
    return ("\n### Why pre-LN\n\nThe recipe first trained the paper's post-LN variant with the same data, batches and\n"
            "learning-rate schedule. Its dev loss fell slowly and at step 1,050 its greedy output still ignored\n"
            "the source (generic phrases such as \"The selected of the selected document.\" for any input), so it\n"
            "was stopped and the pre-LN variant trained instead (`norm` in `training/config.py`; both are in\n"
            "`training/model.py`). Dev loss (cross-entropy, no smoothing) at the same steps:\n\n"
            "| step | post-LN | pre-LN |\n|---|---|---|\n" + "\n".join(rows) + "\n")


def data_section(stats, pkgs):
    fr = stats["filter_reasons"]
    lines = ["| step | pairs |", "|---|---|",
             f"| extracted (UI catalog entries + help paragraphs aligned by id) | {stats['raw_pairs']['total']:,} "
             f"(UI {stats['raw_pairs']['ui']:,}, help {stats['raw_pairs']['help']:,}) |"]
    for reason in ("empty", "identical", "untranslated", "placeholder_only", "identifier", "too_long", "length_ratio"):
        lines.append(f"| dropped: {reason.replace('_', ' ')} | -{fr.get(reason, 0):,} |")
    lines += [f"| after filters | {stats['after_filters']:,} |",
              f"| after exact de-duplication of (en, zh) | {stats['after_dedup']:,} |",
              f"| dev/test pairs dropped because the en or zh side occurs in train (or repeats) | "
              f"-{stats['dev_removed_overlap_or_dup'] + stats['test_removed_overlap_or_dup']:,} |"]
    for s in ("train", "dev", "test"):
        d = stats[s]
        lines.append(f"| **{s}** | {d['total']:,} (UI {d['ui']:,}, help {d['help']:,}; "
                     f"{d['en_chars']:,} en chars, {d['zh_chars']:,} zh chars) |")
    pk = "\n".join(f"- `{p}` {v['version']} ({v['architecture']}), licence {v['licence']}" for p, v in pkgs.items())
    h = stats["held_out_sources"]
    return pk, "\n".join(lines), h


def run(cfg):
    run_dir, out = cfg["run_dir"], cfg["out_dir"]
    ck = torch.load(os.path.join(run_dir, "ckpt.pt"), map_location="cpu")
    state, tcfg = ck["state"], ck["cfg"]
    n_params = sum(v.numel() for k, v in ck["model"].items())
    stats, pkgs = read_json(work("data", "stats.json")), read_json(work("packages.json"))
    rep = read_json(os.path.join(run_dir, "eval.json")) if os.path.exists(os.path.join(run_dir, "eval.json")) else {}
    log = read_jsonl(os.path.join(run_dir, "log.jsonl")) if os.path.exists(os.path.join(run_dir, "log.jsonl")) else []
    dev_losses = [(r["step"], r["dev_loss"]) for r in log if "dev_loss" in r]
    pk, data_table, held = data_section(stats, pkgs)
    st = os.path.join(run_dir, "stage_times.json")
    stage_times = ", ".join(f"{k} {v}" for k, v in read_json(st).items()) if os.path.exists(st) else "n/a"
    tc = work("tokenizer", "node_check.txt")
    tok_check = open(tc).read().strip() if os.path.exists(tc) else "not run"
    files = []
    for root, _, names in os.walk(out):
        for n in sorted(names):
            p = os.path.join(root, n)
            if n != "MODEL_CARD.md":
                files.append(f"| `{os.path.relpath(p, out)}` | {os.path.getsize(p) / 1e6:.2f} MB |")
    score_rows = []
    for key in ("test.en-zh", "test.zh-en", "software.en-zh", "software.zh-en"):
        kinds = list(rep.get(key, {}).get("fp32", {"all": 0}).keys())
        score_rows += [fmt_scores(rep, key, k).replace("| ", f"| {key.split('.')[0]} ", 1) for k in kinds]
    onnx_lines = [f"- {k}: {rep[k].get('onnx_fp32_vs_pytorch', 'n/a')}; int8 output identical to fp32 for "
                  f"{rep[k].get('int8_same_as_fp32', 'n/a')} of {rep[k]['fp32']['all']['n']} sentences"
                  for k in ("test.en-zh", "test.zh-en") if k in rep]
    ex_lines = []
    for key in ("software.en-zh", "software.zh-en", "test.en-zh", "test.zh-en"):
        for label, s, r in examples(run_dir, key):
            ex_lines.append(f"| {key} | {label} | {r['src']} | {r['fp32']} | {r['ref']} | {s:.0f} |")
    default_steps = config.CONFIGS[cfg["name"]]["max_steps"]
    pre = tcfg.get("norm") == "pre"
    norm_text = ("pre-LN (x + Sublayer(LayerNorm(x)), final LayerNorm on both stacks)" if pre
                 else "post-LN (LayerNorm(x + Sublayer(x)), as in the paper)")
    ln_section = ln_comparison(run_dir, dev_losses) if pre else ""
    trained_longer = state["step"] != default_steps
    # epochs done, from the batch position (every epoch has the same number of batches)
    epochs = state["epoch"] + (state["batch"] / ((state["step"] - state["batch"]) / state["epoch"]) if state["epoch"] else 0)
    if len(dev_losses) >= 2:
        (s0, l0), (s1, l1) = dev_losses[-2], dev_losses[-1]
        dev_trend = f"{l0 - l1:.2f} over the last {s1 - s0} steps"
    else:
        dev_trend = "too few checkpoints to say how fast"
    note_path = os.path.join(run_dir, "training_note.txt")  # why the shipped run differs, if it does
    note = open(note_path, encoding="utf-8").read().strip() if os.path.exists(note_path) else \
        "The shipped checkpoint's step count differs from the default; see above."
    md = f"""# en-zh-transformer — bundled English↔Chinese translation model

A small encoder-decoder Transformer ("Attention Is All You Need") that translates English→Simplified
Chinese and Chinese→English with one set of weights. The direction is chosen by a target-language
token prepended to the source: `{LANG_TOKENS['zh']}` (translate into Chinese) or `{LANG_TOKENS['en']}`
(into English), Marian-multilingual style (`config.json` → `language_tokens`). It was trained from
scratch on LibreOffice's own translations and is meant for short software text (UI strings, help
sentences) shown on hover in Transformer Inspector. Recipe: `training/` (see `training/README.md`).

## Files

| file | size |
|---|---|
{chr(10).join(files)}

ONNX in the Hugging Face Optimum layout with Marian's I/O names, opset 14:
- `onnx/encoder_model.onnx`: `input_ids`, `attention_mask` (int64 [batch, seq]) → `last_hidden_state`.
- `onnx/decoder_model_merged.onnx`: inputs `encoder_attention_mask`, `input_ids`, `encoder_hidden_states`,
  `past_key_values.{{i}}.decoder.key/value`, `past_key_values.{{i}}.encoder.key/value`, `use_cache_branch`
  (bool [1]); outputs `logits`, `present.{{i}}.decoder.key/value`, `present.{{i}}.encoder.key/value`
  ([batch, heads, seq, head_dim]). First step: `use_cache_branch=false` and zero-length past tensors.
- `*_quantized.onnx`: int8 dynamic quantization (DynamicQuantizeLinear + MatMulInteger, per-column
  symmetric int8 weights) of every weight MatMul, written by `training/quantize.py`.
Attention is written out (MatMul → Div(√d) → Add(mask) → Softmax → MatMul), so the attention
probabilities of every layer and head are visible as Softmax outputs, including inside the `If` branches.

## Data

Openly licensed parallel text shipped by Debian 12 (bookworm), fetched with `apt-get download`:
{pk}

Licence: MPL-2.0 (Debian's copyright file notes that some files also carry Apache-2.0 notices from
OpenOffice.org). Pairs: English→zh_CN UI strings from the gettext catalogs (msgctxt dropped, mnemonics
`_`/`~`/`(_X)` removed) and help paragraphs aligned by their `par_id`/`hd_id` element ids (markup
stripped, Mac-only variants dropped). The GPL-licensed catalogs in /usr/share/locale were not used.
Text normalisation: Unicode NFC, whitespace runs → one space, trimmed (NFKC is deliberately not used:
it would fold Chinese full-width punctuation such as `，：（` into ASCII).

{data_table}

Held out by whole source file: UI catalogs {', '.join(held['ui_dev'])} (dev) and {', '.join(held['ui_test'])}
(test); help pages by hash of their path ({held['help_dev_pages']} dev pages, {held['help_test_pages']} test pages).

## Tokenizer

Joint SentencePiece **Unigram** model, {tcfg['vocab_size']:,} pieces, trained on the training split of both
languages (`character_coverage=1.0`, the Chinese side has only ~1.9k distinct characters; identity
normalisation rule because text is normalised beforehand; digits split). Unigram because it is what
Marian uses and @huggingface/tokenizers' Unigram Viterbi reproduces sentencepiece's segmentation.
Ids: `<pad>`=0, `</s>`=1, `<unk>`=2, `>>en<<`=3, `>>zh<<`=4. `tokenizer.json` (NFC + Replace(`\\s+`→' ')
+ Strip normaliser, Metaspace pre-tokenizer/decoder, Unigram model, TemplateProcessing `$A </s>`, special
added tokens) was checked against sentencepiece with `training/check_tokenizer.mjs` on sentences of both
languages, each encoded as `>>L<< text` and `>>L<<text`: {tok_check}. Differences can only come from exact
Viterbi score ties (e.g. a repeated-letter string such as "lllint", where "l"+"ll" and "ll"+"l" score the
same and the two implementations break the tie differently). Known limit: characters never seen in
training map to `<unk>` (no byte fallback).

## Model

| | |
|---|---|
| architecture | encoder-decoder Transformer, {norm_text}, ReLU FFN, sinusoidal positions |
| d_model / heads / FFN | {tcfg['d_model']} / {tcfg['heads']} / {tcfg['ffn_dim']} |
| layers | {tcfg['enc_layers']} encoder + {tcfg['dec_layers']} decoder |
| embeddings | one matrix shared by encoder input, decoder input and output projection, scaled by √d |
| parameters | {n_params:,} |
| max positions | {tcfg['max_pos']} (training pairs longer than {tcfg['max_len']} pieces dropped) |
| decoder start | `<pad>` (id 0), Marian convention; generation stops at `</s>` (id 1) |

## Training

Both directions in every batch (each pair gives `>>zh<< en → zh` and `>>en<< zh → en`), length-bucketed
batches of ≤{tcfg['batch_tokens']:,} tokens (source + target, padding included), cross-entropy with label
smoothing {tcfg['label_smoothing']}, Adam β=({tcfg['adam_betas'][0]}, {tcfg['adam_betas'][1]}), ε={tcfg['adam_eps']},
learning rate {tcfg['lr_scale']} · d^-0.5 · min(step^-0.5, step · {tcfg['warmup']}^-1.5) (the paper's warm-up
schedule with a scale factor for the small batches), dropout {tcfg['dropout']}.

- Trained for **{state['step']:,} steps** ({state['epoch']} full epoch(s) + {state['batch']} batches,
  {state['tokens']:,} source+target tokens), **{state['wall'] / 60:.0f} minutes** of wall time on a {CPU},
  PyTorch {torch.__version__}, {platform.python_implementation()} {platform.python_version()}:
  {state['tokens'] / max(state['wall'], 1):.0f} tokens/s on average.
- Default recipe (`training/config.py` FULL): {default_steps} steps,
  sized for about an hour on that machine when it is not shared.
  {note if trained_longer else ""}
- Last measured wall time of each recipe stage (seconds; `training/run.py` records them, train is
  wall time of the last invocation, which may be a resume): {stage_times}.
- Dev loss (no smoothing) at checkpoints: {', '.join(f'{s}: {l:.2f}' for s, l in dev_losses) or 'n/a'}.

{ln_section}
## Quality

Greedy decoding, at most min({rep.get('max_length', '?')}, 2 × source length + 10) tokens. chrF = chrF2 (character 6-grams, β=2) and BLEU =
corpus BLEU-4 with sacreBLEU's definitions, implemented in `training/metrics.py` (self-tested against
values sacreBLEU prints); BLEU on Chinese uses sacreBLEU's `zh` tokenizer, i.e. **character-level** BLEU,
English uses `13a`. fp32 = PyTorch; int8 = the quantized ONNX files in onnxruntime-node.

| set | direction / subset | n | fp32 chrF / BLEU | int8 chrF / BLEU |
|---|---|---|---|---|
{chr(10).join(score_rows)}

"test" is the held-out LibreOffice split (unseen catalog + unseen help pages, same domain as training).
"software" is {rep.get('software.en-zh', {}).get('fp32', {}).get('all', {}).get('n', '?')} hand-written
sentences (code comments, UI messages, documentation sentences; `training/eval/software.tsv`) the model
never saw, translated in both directions: it measures how far the model carries beyond LibreOffice.

ONNX checks:
{chr(10).join(onnx_lines)}

## Examples (fp32, sentence chrF)

| set | | source | output | reference | chrF |
|---|---|---|---|---|---|
{chr(10).join(ex_lines)}

## Known limits

- **Trained briefly.** {epochs:.1f} epochs of the data; the dev loss was still falling ({dev_trend})
  when training stopped, so more steps would still help (`training/run.py --steps N train` resumes).
  Greedy output can repeat a token or drop part of a long sentence; short UI strings and common
  help phrasing are the strong case, and anything longer is best read as a gist.
- Small model trained briefly on ~36k sentence pairs from one product's UI and help: it knows
  office-suite vocabulary (cells, slides, dialogs, fields) and phrasing, and often fails on other
  domains (programming terms, casual language, names), repeats or drops words on long inputs.
- Characters never seen in training become `<unk>`; Chinese input with rare characters suffers.
- Greedy decoding only was evaluated; `generation_config.json` sets `num_beams` {tcfg['num_beams']}.
- Placeholders (`%1`, `$name$`, `%PRODUCTNAME`) appear in the training data and are usually copied,
  but not reliably.
- The PyTorch weights are not laid out as Hugging Face's MarianMTModel (positions are interleaved
  sin/cos, the LayerNorm placement is our own); only the ONNX files and the configs follow the HF/Optimum layout.
"""
    with open(os.path.join(out, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write(md)
    print(f"card: wrote {os.path.join(out, 'MODEL_CARD.md')}")
