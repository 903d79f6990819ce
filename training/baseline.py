"""Stage `baseline`: the model a new run starts from (config init_from: the shipped one, before an export
replaces it) through the extension's own decoding on the same held-out sets as `evaluate`, so the model card
compares the two models on the same sentences. Writes run_dir/baseline.json and run_dir/baseline.*.jsonl."""
import json
import os

from common import MODEL_DIR, REPO, write_json, write_jsonl
from evaluate import DIRS, by_subset, engine_translate, held_out_sets


def run(cfg):
    folder = cfg.get("init_from") or MODEL_DIR
    conf = json.load(open(os.path.join(folder, "config.json")))
    report = {"model": os.path.relpath(folder, REPO), "vocab_size": conf["vocab_size"],
              "layers": [conf["encoder_layers"], conf["decoder_layers"]]}
    for name, rows in held_out_sets(cfg).items():
        for src, tgt in DIRS:
            key = f"{name}.{src}-{tgt}"
            hyps = engine_translate(folder, [r[src] for r in rows], tgt)
            report[key] = {"engine": by_subset(rows, hyps, tgt)}
            write_jsonl(os.path.join(cfg["run_dir"], f"baseline.{key}.jsonl"),
                        [{"src": r[src], "ref": r[tgt], "engine": h, "kind": r["src"]} for r, h in zip(rows, hyps)])
            print(f"baseline: {key}: {json.dumps(report[key]['engine']['all'])}", flush=True)
    write_json(os.path.join(cfg["run_dir"], "baseline.json"), report)
