"""Stage `parity`: test/fixtures/parity/en-zh-transformer.json for the TypeScript test suite.

~20 sentences (both directions) with the source text, the language token, the encoder input ids
sentencepiece gives (>>L<< + pieces + </s>, exactly what the encoder receives), and the PyTorch
model's greedy output ids and text. Cases are kept only if @huggingface/tokenizers reproduces the
ids and the exported fp32 ONNX reproduces the greedy ids (both checked here with Node), so the
fixture pins the contract rather than a known numeric tie.
"""
import json
import os
import re
import subprocess

import torch

from common import EOS_ID, HERE, LANG_TOKENS, REPO, read_jsonl, work, write_json
from evaluate import length_limit, onnx_greedy, software_set, translate
from tokenizer import Tok
from train import DECODER_START_ID, load_model

MAX_NEW = 64
PER_DIRECTION = 10


def candidates(tok):
    test = read_jsonl(work("data", "test.jsonl"))
    soft = software_set()
    picked = []
    for src, tgt in (("en", "zh"), ("zh", "en")):
        short = [r for r in test if 3 <= len(tok.pieces(r[src])) <= 30]
        pool = short[::max(1, len(short) // 12)][:8] + soft[(0 if src == "en" else 1)::3][:6]
        picked += [(r[src], tgt, r["src"]) for r in pool]
    return picked


def tokenizer_ok(cases, model_dir):
    ok = []
    for c in cases:
        one = work("parity_one.json")
        write_json(one, [{"text": c["source_text"], "lang_token": c["lang_token"], "ids": c["input_ids"],
                          "decoded": c["source_text_normalized"]}])
        p = subprocess.run(["node", os.path.join(HERE, "check_tokenizer.mjs"), model_dir, one], cwd=REPO,
                           capture_output=True, text=True)
        ok.append(p.returncode == 0)
    return ok


def run(cfg):
    torch.set_num_threads(2)
    tok = Tok()
    model, ck = load_model(cfg, tok)
    cases = []
    for text, tgt, origin in candidates(tok):
        ids, out = translate(model, tok, [text], tgt, MAX_NEW)
        cases.append({
            "direction": ("zh-en" if tgt == "en" else "en-zh"), "origin": origin.split(":")[0],
            "source_text": text, "source_text_normalized": tok.decode(tok.pieces(text)),
            "lang_token": LANG_TOKENS[tgt], "input_text": f"{LANG_TOKENS[tgt]} {text}",
            "input_ids": tok.encode_source(text, tgt), "output_ids": ids[0], "output_text": out[0],
            "max_new_tokens": length_limit(tok.encode_source(text, tgt), MAX_NEW),
        })
    tok_ok = tokenizer_ok(cases, cfg["out_dir"])
    onnx_ids, _, _ = onnx_greedy(cfg["out_dir"], [c["input_ids"] for c in cases], False, max_len=MAX_NEW)
    kept, dropped = [], []
    for c, t_ok, o in zip(cases, tok_ok, onnx_ids):
        (kept if t_ok and o == c["output_ids"] else dropped).append(c)
    final = []
    for d in ("en-zh", "zh-en"):
        final += [c for c in kept if c["direction"] == d][:PER_DIRECTION]
    fixture = {
        "model": os.path.relpath(cfg["out_dir"], REPO),
        "about": "Encoder input ids are sentencepiece's: [language token] + pieces(source) + [</s>]; "
                 "@huggingface/tokenizers gives the same ids for encode(input_text). output_ids are the "
                 "PyTorch fp32 model's greedy ids after decoder_start_token_id, ending with eos_token_id "
                 "(or cut at the case's max_new_tokens = min(64, 2 x len(input_ids) + 10)); output_text is their detokenization (special tokens skipped).",
        "decoder_start_token_id": DECODER_START_ID, "eos_token_id": EOS_ID, "pad_token_id": 0,
        "training_steps": ck["state"]["step"],
        "cases": [{k: v for k, v in c.items() if k != "source_text_normalized"} for c in final],
    }
    text = json.dumps(fixture, ensure_ascii=False, indent=2)
    text = re.sub(r"\[\s*([-\d,\s]+?)\s*\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)
    os.makedirs(os.path.dirname(cfg["parity_path"]), exist_ok=True)
    with open(cfg["parity_path"], "w", encoding="utf-8") as f:
        f.write(text + "\n")
    assert json.loads(text) == fixture
    print(f"parity: {len(final)} cases written to {os.path.relpath(cfg['parity_path'], REPO)} "
          f"({len(dropped)} candidates dropped: tokenizer or ONNX mismatch)")
    for c in dropped:
        print("parity: dropped", json.dumps(c["source_text"], ensure_ascii=False))
