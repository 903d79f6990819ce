"""Transformer Inspector en<->zh model recipe.

usage: /usr/bin/python3 training/run.py [--config full|smoke] [--steps N] [--minutes M] [--cooldown N] [--out DIR] [--from-scratch] [--keep-vocab] [--peak-scale S] [--eval-limit N] STAGE [STAGE ...]
stages: fetch prepare tokenizer baseline train export quantize evaluate card parity | all
"""
import argparse
import importlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import config  # noqa: E402

STAGES = ["fetch", "prepare", "tokenizer", "baseline", "train", "export", "quantize", "evaluate", "card", "parity"]
STAGE_MODULES = {"card": "model_card"}  # a stage runs training/<module>.py's run()
NO_CONFIG_STAGES = {"fetch", "prepare"}  # data stages do not depend on the model config


def stage(name, cfg):
    t = time.time()
    print(f"== {name} ({cfg['name']})", flush=True)
    module = importlib.import_module(STAGE_MODULES.get(name, name))
    if name in NO_CONFIG_STAGES:
        module.run()
    else:
        module.run(cfg)
    secs = time.time() - t
    print(f"== {name} done in {secs:.0f}s", flush=True)
    path = os.path.join(cfg["run_dir"], "stage_times.json")
    times = json.load(open(path)) if os.path.exists(path) else {}
    times[name] = round(secs)
    with open(path, "w") as f:
        json.dump(times, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="full", choices=sorted(config.CONFIGS))
    ap.add_argument("--steps", type=int, help="override max_steps (e.g. to train a resumed run longer)")
    ap.add_argument("--minutes", type=float, help="train: stop at the first checkpoint after M minutes (resume later)")
    ap.add_argument("--cooldown", type=int, help="train: end the run with N steps whose learning rate falls linearly "
                    "to zero (kept in the checkpoint: a cut-off cooldown resumes on the same line)")
    ap.add_argument("--peak-scale", type=float, help="train: a new run from the shipped weights warms up to this "
                    "lr_scale (config continued_lr: 0.2, a peak of 7.2e-4); a resumed run keeps the one it started with")
    ap.add_argument("--out", help="export, quantize, evaluate, card and parity into DIR instead of the shipped model's "
                    "folder: to try a checkpoint before it replaces models/en-zh-transformer")
    ap.add_argument("--from-scratch", action="store_true", help="train: a new run starts from random weights, "
                    "not from the shipped model's")
    ap.add_argument("--keep-vocab", action="store_true", help="tokenizer: rebuild the shipped model's vocabulary from "
                    "its tokenizer.json instead of fitting a new one (a run continued on new data keeps every piece)")
    ap.add_argument("--eval-limit", type=int, help="evaluate: N sentences of each set, spread over it (a quick look)")
    ap.add_argument("stages", nargs="+", choices=STAGES + ["all"])
    a = ap.parse_args()
    out = os.path.abspath(a.out) if a.out else None
    cfg = config.get(a.config, max_steps=a.steps, minutes=a.minutes, cooldown=a.cooldown, out_dir=out,
                     parity_path=os.path.join(out, "parity.json") if out else None, eval_limit=a.eval_limit)
    if a.from_scratch:
        cfg["init_from"] = None
    if a.keep_vocab and not cfg["init_from"]:
        ap.error("--keep-vocab keeps the vocabulary of the model a run continues; this run starts from random weights")
    cfg["keep_vocab"] = a.keep_vocab
    if a.peak_scale is not None:
        if not cfg["init_from"]:
            ap.error("--peak-scale sets the re-warm of a run continued from the shipped weights; this run starts from random weights")
        cfg["continued_lr"] = dict(cfg["continued_lr"], lr_scale=a.peak_scale)
    for name in (STAGES if "all" in a.stages else a.stages):
        stage(name, cfg)


if __name__ == "__main__":
    main()
