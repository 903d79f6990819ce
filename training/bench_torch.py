"""PyTorch eager side of `npm run bench`: the recipe's model with the bundled model's weights (or, with
--bert, the benchmark's BERT-base-shaped model with its saved weights), run the way BertViz-style tools
run a model (attention weights and hidden states returned), timed per case.

usage: /usr/bin/python3 training/bench_torch.py --model DIR --cases CASES.json --out OUT.json [--threads N] [--bert]
CASES.json: [{"name", "source_ids", "target_ids"}] (target_ids start with the decoder start token; none for --bert).
Commands on stdin (see serve(); `matmul N` answers the BLAS's GFLOP/s): the bench interleaves PyTorch runs with the engine's own.
OUT.json: per case, every returned tensor as float32 in OUT.bin (offsets in OUT.json).
"""
import argparse
import ctypes
import json
import os
import platform
import sys
import time


def _pin_blas_threads():
    """OpenBLAS sizes its own pool when it loads and ignores torch.set_num_threads, so the thread
    count has to be in the environment before torch is imported."""
    if "--threads" in sys.argv[:-1]:
        count = sys.argv[sys.argv.index("--threads") + 1]
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = count


_pin_blas_threads()
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch_from_onnx  # noqa: E402


def inspect(m, source_ids, target_ids):
    """One inspection: {name: tensor}, as output_attentions=True, output_hidden_states=True give them."""
    src = torch.tensor([source_ids])
    tgt = torch.tensor([target_ids])
    mask = torch.ones_like(src)
    layers = {"encoder": list(m.encoder), "decoder": list(m.decoder)}
    final_norms = {"encoder": m.enc_ln, "decoder": m.dec_ln}
    hidden = {"encoder": [], "decoder": []}
    hooks = []
    for stack, modules in layers.items():
        # HF's hidden_states: each layer's input (the embedding output first), then the stack's
        # output after its final LayerNorm.
        for layer in modules:
            hooks.append(layer.register_forward_pre_hook(lambda _mod, args, s=stack: hidden[s].append(args[0])))
        hooks.append(final_norms[stack].register_forward_hook(lambda _mod, _args, out, s=stack: hidden[s].append(out)))
    kept = {}
    for stack, modules in layers.items():
        for layer in modules:
            for kind in ("self_attn", "cross_attn"):
                attention = getattr(layer, kind, None)
                if attention is not None:
                    attention.keep = kept.setdefault(f"{stack}.{'self' if kind == 'self_attn' else 'cross'}", [])
    try:
        with torch.no_grad():
            enc = m.encode(src, mask)
            logits, _ = m.decode(tgt, mask, m.cross_kv(enc))
    finally:
        for h in hooks:
            h.remove()
        for modules in layers.values():
            for layer in modules:
                for kind in ("self_attn", "cross_attn"):
                    if hasattr(layer, kind):
                        getattr(layer, kind).keep = None
    out = {group: torch.cat(probs, 0) for group, probs in kept.items()}  # [layers, heads, q, k]
    for stack, states in hidden.items():
        out[f"{stack}.hidden"] = torch.cat(states, 0)  # [layers + 1, tokens, d]
    out["encoder.output"] = enc[0]
    out["logits"] = logits[0]
    return out


def blas_library():
    """The BLAS this process really loaded (Debian picks it through alternatives, not at build time)."""
    with open("/proc/self/maps") as f:
        libs = {os.path.basename(line.split()[-1]) for line in f if "blas" in line.lower()}
    return ", ".join(sorted(libs)) or "unknown"


def blas_threads():
    """The threads OpenBLAS really uses (None when another BLAS is loaded)."""
    try:
        return ctypes.CDLL("libopenblas.so.0").openblas_get_num_threads()
    except (OSError, AttributeError):
        return None


def inspect_bert(m, source_ids, _target_ids=None):
    """The benchmark's BERT (test/fixtures' modules): attention and hidden states of one sequence."""
    ids = torch.tensor([source_ids])
    m.inspect = True
    with torch.no_grad():
        _, hiddens, probs = m(ids, torch.ones_like(ids), torch.zeros_like(ids))
    return {"encoder.self": torch.cat(probs, 0), "encoder.hidden": torch.cat(hiddens, 0)}


def load_bert(folder):
    """test/fixtures/make_bench_model.py's model, with the weights it saved beside the export."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures"))
    from scripts import bert_tiny  # noqa: E402
    cfg = json.load(open(os.path.join(folder, "config.json")))
    m = bert_tiny.BertModel(cfg["vocab_size"], dict(bert_tiny.CONFIG, **{k: cfg[k] for k in (
        "hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size", "max_position_embeddings")}))
    m.load_state_dict(torch.load(os.path.join(folder, "pytorch_model.pt")))
    return m.eval()


def serve(m, run, cases, out):
    """Line protocol on stdin/stdout, so the caller can interleave our runs with its own:
    `run I` -> the milliseconds of one inspection of case I; `dump` -> writes OUT(.bin) and answers `ok`."""
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        if command[0] == "run":
            case = cases[int(command[1])]
            t = time.perf_counter()
            run(m, case["source_ids"], case.get("target_ids"))
            print(f"{(time.perf_counter() - t) * 1000:.4f}", flush=True)
        elif command[0] == "matmul":
            print(f"{matmul_gflops(int(command[1])):.1f}", flush=True)
        elif command[0] == "dump":
            dump(m, run, cases, out)
            print("ok", flush=True)
        elif command[0] == "quit":
            return


def matmul_gflops(size, repeats=20):
    """GFLOP/s of the fastest of `repeats` size×size float32 products in this process's BLAS (a peak
    rate, as onnxruntime's in bench/floorBench.ts: a median falls with any disturbance)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * size ** 3 / min(times) / 1e9


def dump(m, run, cases, out):
    """Every tensor of every case as float32 in OUT.bin, with their offsets and the run's facts in OUT."""
    results, offset = [], 0
    with open(os.path.splitext(out)[0] + ".bin", "wb") as blob:
        for case in cases:
            index = {}
            for name, tensor in run(m, case["source_ids"], case.get("target_ids")).items():
                data = tensor.detach().to(torch.float32).contiguous().numpy().tobytes()
                index[name] = {"offset": offset, "dims": list(tensor.shape)}
                blob.write(data)
                offset += len(data)
            results.append({"name": case["name"], "tensors": index})
    json.dump({
        "torch": torch.__version__, "python": platform.python_version(), "threads": torch.get_num_threads(),
        "blas": blas_library(), "blasThreads": blas_threads(), "cases": results,
    }, open(out, "w"), indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bert", action="store_true", help="the benchmark's BERT model instead of the recipe's translator")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    # what one run is: the translator's inspection, or the BERT's
    m, run = (load_bert(a.model), inspect_bert) if a.bert else (torch_from_onnx.load(a.model)[0], inspect)
    serve(m, run, json.load(open(a.cases)), a.out)


if __name__ == "__main__":
    main()
