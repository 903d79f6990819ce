"""Stage `evaluate`: chrF / BLEU on the in-domain test split, the held-out source (ood: a whole
source the training never saw), the hand-written software set and the model card's thirty strings.

fp32: greedy decoding in PyTorch (batched, KV cache). int8: the quantized ONNX files run through
check_onnx.mjs in onnxruntime-node (greedy, batch 1). engine: what the extension shows, the exported
fp32 files through the project's own command line (`dist/cli.js translate`: its default beam and
word-repeat guard; needs `npm run build`). Also checks that the fp32 ONNX export gives the same greedy
ids as PyTorch on a sample. Writes run_dir/eval.json and run_dir/hyps.*.jsonl.
"""
import json
import os
import subprocess

import torch

import model as M
from common import EOS_ID, HERE, REPO, read_jsonl, work, write_json, write_jsonl
from metrics import bleu, chrf
from tokenizer import Tok
from train import DECODER_START_ID, load_model

DIRS = [("en", "zh"), ("zh", "en")]


def tsv_set(name, label):
    rows = []
    with open(os.path.join(HERE, "eval", name), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                kind, en, zh = line.rstrip("\n").split("\t")
                rows.append({"en": en, "zh": zh, "src": f"{label}:{kind}"})
    return rows


def software_set():
    return tsv_set("software.tsv", "software")


def engine_translate(model_dir, texts, tgt):
    """The extension's decoding of `texts` (one per line) through dist/cli.js, in input order."""
    cli = os.path.join(REPO, "dist", "cli.js")
    if not os.path.exists(cli):
        raise RuntimeError("dist/cli.js is missing: run `npm run build` first")
    lines = [" ".join(t.split()) for t in texts]
    p = subprocess.run(["node", cli, "translate", "--model", model_dir, "--to", tgt], input="\n".join(lines) + "\n",
                       cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"cli translate failed: {p.stderr.strip()[-2000:]}")
    outs = p.stdout.split("\n")[:len(lines)]
    if len(outs) != len(lines):
        raise RuntimeError(f"cli translate wrote {len(outs)} lines for {len(lines)}")
    return outs


def length_limit(src_ids, max_len):
    """Output budget per sentence: 2 x source length + 10, at most max_len (stops runaway loops)."""
    return min(max_len, 2 * len(src_ids) + 10)


def translate(model, tok, texts, tgt, max_len, batch=48):
    """PyTorch greedy translation; returns (output id lists, texts) in input order."""
    enc = [tok.encode_source(t, tgt) for t in texts]
    order = sorted(range(len(enc)), key=lambda i: len(enc[i]))
    out = [None] * len(enc)
    for b in range(0, len(order), batch):
        idx = order[b:b + batch]
        L = max(len(enc[i]) for i in idx)
        x = torch.zeros(len(idx), L, dtype=torch.long)
        for j, i in enumerate(idx):
            x[j, :len(enc[i])] = torch.tensor(enc[i])
        limit = max(length_limit(enc[i], max_len) for i in idx)
        for i, ids in zip(idx, M.greedy(model, x, (x != 0).long(), DECODER_START_ID, EOS_ID, limit)):
            out[i] = ids[:length_limit(enc[i], max_len)]  # greedy is causal: same as stopping there
    return out, [tok.decode(ids) for ids in out]


def onnx_greedy(model_dir, inputs, quantized, expected=None, max_len=None):
    """Runs check_onnx.mjs; returns (output id lists, process return code, last output line)."""
    cases = [{"input_ids": ids, **({"expected_ids": e} if expected else {}),
              **({"max_length": length_limit(ids, max_len)} if max_len else {})}
             for ids, e in zip(inputs, expected or [None] * len(inputs))]
    cpath, opath = work("onnx_cases.json"), work("onnx_out.json")
    with open(cpath, "w") as f:
        json.dump(cases, f)
    cmd = ["node", os.path.join(HERE, "check_onnx.mjs"), model_dir, cpath, opath] + (["--quantized"] if quantized else [])
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    print(p.stdout.strip()[-2000:], p.stderr.strip()[-2000:])
    if not os.path.exists(opath) or p.returncode not in (0, 1):
        raise RuntimeError("check_onnx.mjs failed")
    with open(opath) as f:
        outs = [r["output_ids"] for r in json.load(f)]
    os.remove(opath)
    return outs, p.returncode, p.stdout.strip().splitlines()[-1]


def scores(hyps, refs, tgt):
    return {"chrF": round(chrf(hyps, refs), 2), "BLEU": round(bleu(hyps, refs, tgt), 2), "n": len(hyps)}


def by_subset(rows, hyps, tgt):
    res = {"all": scores(hyps, [r[tgt] for r in rows], tgt)}
    for kind in sorted({r["src"].split(":")[0] if not r["src"].startswith("software") else r["src"] for r in rows}):
        sel = [i for i, r in enumerate(rows) if r["src"].startswith(kind)]
        if len(sel) < len(rows):
            res[kind] = scores([hyps[i] for i in sel], [rows[i][tgt] for i in sel], tgt)
    return res


def held_out_sets(cfg):
    """{name: rows with en, zh, src}: in-domain test, the held-out source, software.tsv, the card's strings."""
    sets = {"test": read_jsonl(work("data", "test.jsonl")), "ood": read_jsonl(work("data", "ood.jsonl")),
            "software": software_set(), "card": tsv_set("card_table.tsv", "card")}
    if cfg.get("eval_limit"):
        # every k-th row: a sample of each source, not the first file's rows only
        sets = {k: v[::max(1, len(v) // cfg["eval_limit"])][:cfg["eval_limit"]] for k, v in sets.items()}
    return sets


def run(cfg):
    if not torch.cuda.is_available():
        torch.set_num_threads(int(os.environ.get("TI_THREADS", "2")))
    tok = Tok()
    model, ck = load_model(cfg, tok)
    sets = held_out_sets(cfg)
    max_len = cfg["gen_max_length"]
    q_dir = cfg["out_dir"]
    have_q = os.path.exists(os.path.join(q_dir, "onnx", "encoder_model_quantized.onnx"))
    report = {"steps": ck["state"]["step"], "wall_s": round(ck["state"]["wall"]), "max_length": max_len}
    for name, rows in sets.items():
        for src, tgt in DIRS:
            key = f"{name}.{src}-{tgt}"
            ids, hyps = translate(model, tok, [r[src] for r in rows], tgt, max_len)
            report[key] = {"fp32": by_subset(rows, hyps, tgt)}
            out = [{"src": r[src], "ref": r[tgt], "fp32": h, "kind": r["src"]} for r, h in zip(rows, hyps)]
            engine_hyps = engine_translate(q_dir, [r[src] for r in rows], tgt)
            report[key]["engine"] = by_subset(rows, engine_hyps, tgt)
            for o, h in zip(out, engine_hyps):
                o["engine"] = h
            inputs = [tok.encode_source(r[src], tgt) for r in rows]
            if name == "test":  # fp32 ONNX must reproduce PyTorch greedy ids
                n = min(60, len(rows))
                _, rc, line = onnx_greedy(q_dir, inputs[:n], False, ids[:n], max_len)
                report[key]["onnx_fp32_vs_pytorch"] = line
            if have_q:
                q_ids, _, _ = onnx_greedy(q_dir, inputs, True, max_len=max_len)
                q_hyps = [tok.decode(x) for x in q_ids]
                report[key]["int8"] = by_subset(rows, q_hyps, tgt)
                report[key]["int8_same_as_fp32"] = sum(a == b for a, b in zip(q_ids, ids))
                for o, h in zip(out, q_hyps):
                    o["int8"] = h
            write_jsonl(os.path.join(cfg["run_dir"], f"hyps.{key}.jsonl"), out)
            print(f"evaluate: {key}: {json.dumps(report[key], ensure_ascii=False)}", flush=True)
    write_json(os.path.join(cfg["run_dir"], "eval.json"), report)
