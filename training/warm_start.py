"""A new training run that starts from an exported model's weights instead of random ones.

The shipped model (models/en-zh-transformer) is the recipe's last output and is kept in git, so a fresh
checkout has it even when work/ (checkpoints) is gone: starting from it keeps what every earlier run learned.
Where that model's vocabulary differs from work/tokenizer/, each new piece's embedding (shared with the output
projection) is the mean of the old embeddings of that piece's text as the old Unigram model splits it. Where the
new config has more layers, the extra ones start as identities (pre-LN blocks with zero output projections), so
the first step computes what the old model computed, up to the vocabulary mapping.
"""
import json
import math
import os

import torch

import torch_from_onnx
from common import LANG_TOKENS, REPO

SPECIALS = ("<pad>", "</s>", "<unk>", LANG_TOKENS["en"], LANG_TOKENS["zh"])
HISTORY_FILE = "training_runs.json"  # written by the card stage beside the model: every run its weights went through
# The first bundled model predates that file; these facts are from its MODEL_CARD.md.
FIRST_MODEL_RUNS = [{"model": "LibreOffice only, 8,000-piece vocabulary, 3+3 layers", "device": "cpu (AMD EPYC)",
                     "threads": 2, "from_step": 0, "to_step": 9000, "tokens_total": 10595915, "wall_s": 12356,
                     "stopped_by": "max_steps"}]


def unigram_split(text, scores, max_piece):
    """Best-scoring split of text into pieces of an old Unigram vocabulary (Viterbi); None for an uncovered char."""
    best = [0.0] + [-math.inf] * len(text)
    back = [0] * (len(text) + 1)
    for end in range(1, len(text) + 1):
        for start in range(max(0, end - max_piece), end):
            score = scores.get(text[start:end])
            if score is not None and best[start] + score > best[end]:
                best[end], back[end] = best[start] + score, start
    if best[-1] == -math.inf:
        return None
    pieces, end = [], len(text)
    while end:
        pieces.append(text[back[end]:end])
        end = back[end]
    return pieces[::-1]


def map_embeddings(old_embed, old_vocab, new_pieces, unk_id):
    """[len(new_pieces), d] embeddings for a new vocabulary from an old one; also how many were copied whole."""
    index = {piece: i for i, (piece, _) in enumerate(old_vocab)}
    scores = {piece: score for piece, score in old_vocab if piece not in SPECIALS}
    max_piece = max(len(p) for p in scores)
    rows, whole = [], 0
    for piece in new_pieces:
        if piece in index:
            rows.append(old_embed[index[piece]])
            whole += 1
            continue
        split = unigram_split(piece, scores, max_piece) or list(piece)
        ids = [index.get(p, unk_id) for p in split]
        rows.append(old_embed[ids].mean(0))
    return torch.stack(rows), whole


def make_identity(layer):
    """A pre-LN block whose sublayers add nothing: zero output projections of attention and FFN."""
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if name.startswith(("self_attn.out_proj", "cross_attn.out_proj", "ffn.fc2")):
                p.zero_()


def initialise(model, folder, new_pieces):
    """Load folder's weights into the freshly built model (in place); new_pieces: the model's vocabulary, by id.
    Returns a summary for the run record."""
    old, old_cfg = torch_from_onnx.load(folder)
    if not old_cfg.get("normalize_before") or not isinstance(model.enc_ln, torch.nn.LayerNorm):
        raise SystemExit(f"{folder}: warm start needs pre-LN models on both sides")
    old_state, new_state = old.state_dict(), model.state_dict()
    vocab = json.load(open(os.path.join(folder, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]
    embed, whole = map_embeddings(old_state["embed.weight"], vocab, new_pieces, unk_id=SPECIALS.index("<unk>"))
    loaded = {"embed.weight": embed}
    for stack in ("encoder", "decoder"):
        n_old, n_new = len(getattr(old, stack)), len(getattr(model, stack))
        if n_new < n_old:
            raise SystemExit(f"{folder}: {n_old} {stack} layers, the config has only {n_new}")
        for i in range(n_new, n_old, -1):
            make_identity(getattr(model, stack)[i - 1])
        for key, value in old_state.items():
            if key.startswith(f"{stack}."):
                loaded[key] = value
    for key in ("enc_ln.weight", "enc_ln.bias", "dec_ln.weight", "dec_ln.bias"):
        loaded[key] = old_state[key]
    for key, value in loaded.items():
        if new_state[key].shape != value.shape:
            raise SystemExit(f"{folder}: {key} is {tuple(value.shape)}, the config needs {tuple(new_state[key].shape)}")
        new_state[key] = value
    model.load_state_dict(new_state)
    history_path = os.path.join(folder, HISTORY_FILE)
    history = json.load(open(history_path))["runs"] if os.path.exists(history_path) else FIRST_MODEL_RUNS
    return {"from": os.path.relpath(folder, REPO), "old_vocab": len(vocab), "pieces_copied_whole": whole,
            "old_layers": [len(old.encoder), len(old.decoder)], "new_layers": [len(model.encoder), len(model.decoder)],
            "history": history}


def self_test():
    """Checks the split and that a deeper model started from the shipped one computes exactly what it computes."""
    import model as M
    from common import MODEL_DIR
    scores = {"a": -1.0, "b": -1.0, "ab": -1.5, "▁": -0.5}
    assert unigram_split("ab", scores, 2) == ["ab"] and unigram_split("aab", scores, 2) == ["a", "ab"]
    assert unigram_split("abc", scores, 2) is None
    old, cfg = torch_from_onnx.load(MODEL_DIR)
    vocab = json.load(open(os.path.join(MODEL_DIR, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]
    deeper = M.Transformer(cfg["vocab_size"], cfg["d_model"], cfg["encoder_attention_heads"], cfg["encoder_ffn_dim"],
                           cfg["encoder_layers"] + 2, cfg["decoder_layers"] + 1, 0.0, cfg["max_position_embeddings"],
                           pre_ln=True)
    info = initialise(deeper, MODEL_DIR, [piece for piece, _ in vocab])
    assert info["pieces_copied_whole"] == len(vocab), info
    src = torch.tensor([[4, 120, 57, 300, 9, 1]])
    mask, tgt = torch.ones_like(src), torch.tensor([[0, 88, 14]])
    with torch.no_grad():
        diff = (old.eval()(src, mask, tgt) - deeper.eval()(src, mask, tgt)).abs().max().item()
    assert diff < 1e-5, f"logits differ by {diff}"
    print(f"warm_start: split ok; {cfg['encoder_layers']}+{cfg['decoder_layers']} → "
          f"{cfg['encoder_layers'] + 2}+{cfg['decoder_layers'] + 1} layers, logits equal (max |Δ| {diff:.1e})")


if __name__ == "__main__":
    self_test()
