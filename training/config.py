"""Run configurations. `full` is the shipped model's recipe (hours on 2 CPU cores, resumable; minutes on a GPU);
`smoke` exercises every stage in minutes."""
import os

from common import MODEL_DIR, PARITY_FIXTURE, work

FULL = dict(
    name="full",
    vocab_size=24000,       # joint en+zh unigram (tokenizer.DEFAULT_VOCAB_SIZE); see vocab_study.py
    everyday_share=0.5,     # everyday text (everyday.py) in the tokenizer's corpus: 0.5 x the pairs' characters per language
    # deep encoder, shallow decoder: 6+3 layers train at 93% of 3+3's tokens/s here (847 vs 915, 2 threads, 12k
    # vocabulary; the output projection dominates) and decode as fast; 384-wide models ran at 550-620 tokens/s
    # and their decoder file would pass 50 MB
    d_model=256, heads=4, ffn_dim=1024, enc_layers=6, dec_layers=3, dropout=0.1,
    norm="pre",             # pre-LN: post-LN (the paper's) was still ignoring the source at step 1,050 here
    max_pos=256,            # sinusoid table size = max_position_embeddings
    max_len=128,            # training pairs with a longer side (in pieces, incl. specials) are dropped
    batch_tokens=1500,      # src+tgt tokens per batch, padding included (length-bucketed)
    max_steps=12000,        # ~14M tokens (~5 epochs of both directions): ~5.5 h at ~725 tokens/s (2 idle CPU cores);
                            # run it in pieces with --minutes, each resumes from the last checkpoint
    warmup=400, lr_scale=0.35,  # lr = lr_scale * d^-0.5 * min(step^-0.5, step * warmup^-1.5)
    label_smoothing=0.1, adam_betas=(0.9, 0.98), adam_eps=1e-9,
    ckpt_every=150, seed=1,
    # a run with no checkpoint starts from the shipped model's weights (warm_start.py; run.py --from-scratch: random),
    # warming up again to a lower peak (7.2e-4 at step 300) than a run from random weights
    init_from=MODEL_DIR, continued_lr=dict(warmup=300, lr_scale=0.2),
    gen_max_length=128, num_beams=1,
    out_dir=MODEL_DIR, parity_path=PARITY_FIXTURE, eval_limit=None,
)

SMOKE = dict(
    FULL, name="smoke",
    vocab_size=8000,        # the old default: keeps the smoke run's softmax small
    everyday_share=0.0,
    d_model=64, heads=4, ffn_dim=128, enc_layers=2, dec_layers=2,
    batch_tokens=1500, max_steps=60, warmup=20, lr_scale=1.0, ckpt_every=30,
    gen_max_length=32, out_dir=work("smoke-model"), init_from=None,
    parity_path=work("smoke-model", "parity.json"), eval_limit=30,
)

CONFIGS = {"full": FULL, "smoke": SMOKE}


def get(name, **overrides):
    cfg = dict(CONFIGS[name])
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    cfg["run_dir"] = work("runs", cfg["name"])
    os.makedirs(cfg["run_dir"], exist_ok=True)
    built = built_vocab_size()
    if built and built != cfg["vocab_size"]:  # both configs share work/tokenizer/
        print(f"note: work/tokenizer/ has {built} pieces, config {cfg['name']} uses {cfg['vocab_size']}: "
              "the tokenizer stage rebuilds it (run.py all does); train/export before that would use the old one",
              flush=True)
    return cfg


def built_vocab_size():
    path = work("tokenizer", "vocab_size.txt")  # written by the tokenizer stage
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return int(f.read())
