"""Stage `train`: train the Transformer on both directions at once, checkpointing and resuming.

Every training pair gives two examples: [>>zh<<] en </s> -> zh </s> and [>>en<<] zh </s> -> en </s>.
Batches are length-bucketed by token count. Loss: cross-entropy with label smoothing 0.1.
Adam(0.9, 0.98, 1e-9) with the paper's warm-up then inverse-square-root schedule.
The checkpoint (run_dir/ckpt.pt) holds model, optimiser, step, data position and wall time;
rerunning the stage resumes from it. Without a checkpoint, a run starts from cfg["init_from"]'s exported
weights when set (warm_start.py; the full config's is the shipped model) or from random weights. Works on CPU (2 threads) or CUDA, picked automatically;
on CUDA the forward pass runs under bf16 autocast (mixed precision; weights and Adam stay fp32).
Every invocation records its device, first and last step, tokens and wall time in run_dir/runs.jsonl, rewritten
at each checkpoint ("cut off" until the run ends), so a run killed without warning still leaves its record;
cfg["minutes"] (run.py --minutes) stops it cleanly at a checkpoint after that much wall time.
cfg["cooldown"] (run.py --cooldown N) ends the run with N steps whose learning rate falls linearly to zero from the
schedule's value where they start; the checkpoint keeps where it started, so a cut-off cooldown resumes on the same line.
"""
import hashlib
import json
import os
import random
import contextlib
import platform
import signal
import time

import torch
import torch.nn.functional as F

import model as M
import warm_start
from common import EOS_ID, PAD_ID, read_jsonl, work
from tokenizer import Tok

DECODER_START_ID = PAD_ID  # Marian convention


def device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast(dev):
    """bf16 mixed precision on a GPU; plain fp32 on the CPU (bf16 matmuls are slower there)."""
    if dev.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def record_run(cfg, dev, first_step, state, started, stopped_by):
    rec = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)),
           "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else f"cpu ({cpu_name()})",
           "threads": torch.get_num_threads(), "from_step": first_step, "to_step": state["step"],
           "tokens_total": state["tokens"], "wall_s": round(time.time() - started, 1), "stopped_by": stopped_by,
           "started_from": state.get("init", {}).get("from", "random weights")}
    path = os.path.join(cfg["run_dir"], "runs.jsonl")
    rows = read_jsonl(path) if os.path.exists(path) else []
    rows = [r for r in rows if r["started"] != rec["started"]] + [rec]  # this run's record replaces its last one
    with open(path + ".tmp", "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    os.replace(path + ".tmp", path)


def examples(split, tok, max_len):
    """Token id pairs for both directions: list of (src_ids, tgt_ids)."""
    h = hashlib.md5()
    for path in (work("data", split + ".jsonl"), tok.path):
        with open(path, "rb") as f:
            h.update(f.read())
    cache = work("data", f"{split}.{h.hexdigest()[:10]}.tok.pt")  # stale if data or tokenizer change
    if os.path.exists(cache):
        data = torch.load(cache)
    else:
        data = []
        for r in read_jsonl(work("data", split + ".jsonl")):
            data.append((tok.encode_source(r["en"], "zh"), tok.encode_target(r["zh"])))
            data.append((tok.encode_source(r["zh"], "en"), tok.encode_target(r["en"])))
        torch.save(data, cache)
    return [(s, t) for s, t in data if len(s) <= max_len and len(t) <= max_len]


def make_batches(data, batch_tokens, seed):
    """Shuffle, sort within pools by length, cut into batches of at most batch_tokens (padded)."""
    rnd = random.Random(seed)
    idx = list(range(len(data)))
    rnd.shuffle(idx)
    batches, pool = [], 4000
    for p in range(0, len(idx), pool):
        chunk = sorted(idx[p:p + pool], key=lambda i: (len(data[i][0]), len(data[i][1])))
        cur, ms, mt = [], 0, 0
        for i in chunk:
            s, t = len(data[i][0]), len(data[i][1])
            if cur and (len(cur) + 1) * (max(ms, s) + max(mt, t)) > batch_tokens:
                batches.append(cur)
                cur, ms, mt = [], 0, 0
            cur.append(i)
            ms, mt = max(ms, s), max(mt, t)
        if cur:
            batches.append(cur)
    rnd.shuffle(batches)
    return batches


def collate(data, batch, dev):
    src = [data[i][0] for i in batch]
    tgt = [data[i][1] for i in batch]
    S, T = max(map(len, src)), max(map(len, tgt))
    s = torch.full((len(batch), S), PAD_ID, dtype=torch.long)
    t_in = torch.full((len(batch), T), PAD_ID, dtype=torch.long)
    t_out = torch.full((len(batch), T), PAD_ID, dtype=torch.long)
    for j, (a, b) in enumerate(zip(src, tgt)):
        s[j, :len(a)] = torch.tensor(a)
        t_in[j, :len(b)] = torch.tensor([DECODER_START_ID] + b[:-1])
        t_out[j, :len(b)] = torch.tensor(b)
    return s.to(dev), (s != PAD_ID).long().to(dev), t_in.to(dev), t_out.to(dev)


def lr_at(step, cfg, cooldown=None):
    if cooldown and step > cooldown["from"]:
        return cooldown["lr"] * max(cooldown["to"] - step, 0) / (cooldown["to"] - cooldown["from"])
    step = max(step, 1)
    return cfg["lr_scale"] * cfg["d_model"] ** -0.5 * min(step ** -0.5, step * cfg["warmup"] ** -1.5)


def loss_fn(logits, target, smoothing):
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1),
                           ignore_index=PAD_ID, label_smoothing=smoothing)


@torch.no_grad()
def dev_loss(model, data, cfg, dev):
    model.eval()
    tot, n = 0.0, 0
    for batch in make_batches(data, cfg["batch_tokens"] * 2, 0):
        s, sm, ti, to = collate(data, batch, dev)
        k = int((to != PAD_ID).sum())
        tot += float(loss_fn(model(s, sm, ti), to, 0.0)) * k
        n += k
    model.train()
    return tot / max(n, 1)


def save(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def run(cfg):
    torch.manual_seed(cfg["seed"])
    if not torch.cuda.is_available():
        torch.set_num_threads(int(os.environ.get("TI_THREADS", "2")))
    dev = device()
    tok = Tok()
    train_data = examples("train", tok, cfg["max_len"])
    dev_data = examples("dev", tok, cfg["max_len"])
    model = M.build(cfg, tok.vocab_size).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr_at(1, cfg), betas=tuple(cfg["adam_betas"]), eps=cfg["adam_eps"])
    ckpt_path = os.path.join(cfg["run_dir"], "ckpt.pt")
    log_path = os.path.join(cfg["run_dir"], "log.jsonl")
    state = {"step": 0, "epoch": 0, "batch": 0, "wall": 0.0, "tokens": 0}
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=dev)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        print(f"train: resumed at step {state['step']} (epoch {state['epoch']}, batch {state['batch']})", flush=True)
    else:  # a new run: the records of an earlier one in this folder are kept aside, not mixed in
        for name in ("runs.jsonl", "log.jsonl"):
            if os.path.exists(os.path.join(cfg["run_dir"], name)):
                os.replace(os.path.join(cfg["run_dir"], name), os.path.join(cfg["run_dir"], f"{name}.{int(time.time())}"))
    if not os.path.exists(ckpt_path) and cfg.get("init_from"):
        state["init"] = warm_start.initialise(model, cfg["init_from"], [tok.sp.id_to_piece(i) for i in range(tok.vocab_size)])
        print(f"train: new run from the weights of {json.dumps({k: v for k, v in state['init'].items() if k != 'history'})}", flush=True)
    # a run that starts from trained weights warms up again to a lower peak (config "continued_lr", or
    # run.py --peak-scale), fixed at its first step so a resumed run keeps its own line
    if state.get("init") and "continued_lr" not in state:
        state["continued_lr"] = dict(cfg["continued_lr"])
    elif state.get("continued_lr") and state["continued_lr"] != cfg["continued_lr"]:
        print(f"train: this run keeps the schedule it started with, {state['continued_lr']}", flush=True)
    sched = dict(cfg, **state["continued_lr"]) if state.get("init") else cfg
    if cfg.get("cooldown") and "cooldown" not in state:
        state["cooldown"] = {"from": state["step"], "to": state["step"] + cfg["cooldown"], "lr": lr_at(state["step"], sched)}
    cooldown = state.get("cooldown")
    max_steps = min(cfg["max_steps"], cooldown["to"]) if cooldown else cfg["max_steps"]
    if cooldown:
        print(f"train: cooldown from step {cooldown['from']} (lr {cooldown['lr']:.2e}) to zero at step {cooldown['to']}", flush=True)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"train: {cfg['name']} on {dev}, {n_params:,} parameters, {len(train_data):,} examples", flush=True)
    model.train()
    started, first_step = time.time(), state["step"]
    deadline = started + 60 * cfg["minutes"] if cfg.get("minutes") else None
    stopped_by = "max_steps"
    # SIGTERM (kill, a session's end) stops at the next logging step with a checkpoint and a runs.jsonl record.
    terminated = []
    signal.signal(signal.SIGTERM, lambda *_: terminated.append(True))
    t0, win_tok, win_t = time.time(), 0, time.time()
    while state["step"] < max_steps and stopped_by == "max_steps":
        batches = make_batches(train_data, cfg["batch_tokens"], cfg["seed"] * 1000 + state["epoch"])
        while state["batch"] < len(batches) and state["step"] < max_steps:
            s, sm, ti, to = collate(train_data, batches[state["batch"]], dev)
            state["step"] += 1
            state["batch"] += 1
            for g in opt.param_groups:
                g["lr"] = lr_at(state["step"], sched, cooldown)
            with autocast(dev):
                logits = model(s, sm, ti)
            loss = loss_fn(logits.float(), to, cfg["label_smoothing"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            ntok = int(sm.sum() + (to != PAD_ID).sum())
            state["tokens"] += ntok
            win_tok += ntok
            step = state["step"]
            if step % 25 == 0 or step == max_steps:
                now = time.time()
                rec = {"step": step, "epoch": state["epoch"], "loss": round(float(loss), 4),
                       "lr": lr_at(step, sched, cooldown), "tok_s": round(win_tok / (now - win_t), 1),
                       "wall": round(state["wall"] + now - t0, 1)}
                win_tok, win_t = 0, now
                if terminated:
                    stopped_by = "signal"
                if step % cfg["ckpt_every"] == 0 or step == max_steps or terminated:
                    rec["dev_loss"] = round(dev_loss(model, dev_data, cfg, dev), 4)
                    state["wall"] += time.time() - t0
                    t0 = time.time()
                    save(ckpt_path, {"model": model.state_dict(), "opt": opt.state_dict(), "state": state, "cfg": cfg})
                    rec["saved"] = True
                    record_run(cfg, dev, first_step, state, started, "cut off")
                    if deadline and time.time() > deadline and stopped_by == "max_steps":
                        stopped_by = "minutes"
                print("train:", json.dumps(rec), flush=True)
                with open(log_path, "a") as f:
                    f.write(json.dumps(rec) + "\n")
                if stopped_by != "max_steps":
                    break
        if state["batch"] >= len(batches):
            state["epoch"] += 1
            state["batch"] = 0
    state["wall"] += time.time() - t0
    save(ckpt_path, {"model": model.state_dict(), "opt": opt.state_dict(), "state": state, "cfg": cfg})
    record_run(cfg, dev, first_step, state, started, "cooldown end" if cooldown and state["step"] >= cooldown["to"] else stopped_by)
    print(f"train: {'done' if stopped_by == 'max_steps' else 'stopped (' + stopped_by + ')'}, {state['step']} steps, {state['wall'] / 60:.1f} min, "
          f"{state['tokens'] / max(state['wall'], 1e-9):.0f} tokens/s", flush=True)


def load_model(cfg, tok=None, map_location="cpu"):
    """The trained model (eval mode) from run_dir/ckpt.pt."""
    ck = torch.load(os.path.join(cfg["run_dir"], "ckpt.pt"), map_location=map_location)
    tok = tok or Tok()
    m = M.build(ck["cfg"], tok.vocab_size)
    m.load_state_dict(ck["model"])
    return m.eval(), ck
