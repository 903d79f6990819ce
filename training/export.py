"""Stage `export`: ONNX export in the Hugging Face Optimum layout (Marian I/O names).

out_dir/onnx/encoder_model.onnx          input_ids, attention_mask -> last_hidden_state
out_dir/onnx/decoder_model_merged.onnx   merge_decoders(decoder_model, decoder_with_past_model)
plus config.json (Marian-style), generation_config.json, tokenizer.json, tokenizer_config.json.
The two unmerged decoders are kept in run_dir/onnx/ (quantize.py quantizes them, then merges).
"""
import inspect
import os
import shutil
import warnings

import onnx
import torch
import torch.nn as nn

from common import EOS_ID, LANG_TOKENS, PAD_ID, work, write_json
from onnx_tools import merge_decoders, share_transposed_weights
from tokenizer import Tok, to_tokenizer_json
from train import DECODER_START_ID, load_model

OPSET = 14
B, S, T, P = "batch_size", "encoder_sequence_length", "decoder_sequence_length", "past_decoder_sequence_length"


class Encoder(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask):
        return self.m.encode(input_ids, attention_mask)


class Decoder(nn.Module):
    """First step: no cache in, every cache out (self-attention and cross-attention)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, encoder_attention_mask, input_ids, encoder_hidden_states):
        cross = self.m.cross_kv(encoder_hidden_states)
        logits, present = self.m.decode(input_ids, encoder_attention_mask, cross)
        out = [logits]
        for (dk, dv), (ek, ev) in zip(present, cross):
            out += [dk, dv, ek, ev]
        return tuple(out)


class DecoderWithPast(nn.Module):
    """Later steps: self-attention cache grows, cross-attention cache is read from the inputs."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, encoder_attention_mask, input_ids, *past):
        n = len(self.m.decoder)
        self_past = [(past[4 * i], past[4 * i + 1]) for i in range(n)]
        cross = [(past[4 * i + 2], past[4 * i + 3]) for i in range(n)]
        logits, present = self.m.decode(input_ids, encoder_attention_mask, cross, self_past)
        out = [logits]
        for k, v in present:
            out += [k, v]
        return tuple(out)


def kv_names(prefix, n, kinds=("decoder", "encoder")):
    return [f"{prefix}.{i}.{kind}.{kv}" for i in range(n) for kind in kinds for kv in ("key", "value")]


def _export(module, args, path, inputs, outputs, axes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # PyTorch >= 2.9 defaults to the dynamo exporter; this recipe uses the TorchScript one everywhere
        extra = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=True, **extra)
    onnx.checker.check_model(onnx.load(path))


def export_onnx(model, n_layers, heads, d, tmp_dir):
    os.makedirs(tmp_dir, exist_ok=True)
    dk = d // heads
    ids = torch.tensor([[4, 10, 11, 12, EOS_ID], [3, 20, 21, EOS_ID, PAD_ID]])
    mask = (ids != PAD_ID).long()
    enc_path = os.path.join(tmp_dir, "encoder_model.onnx")
    _export(Encoder(model), (ids, mask), enc_path, ["input_ids", "attention_mask"], ["last_hidden_state"],
            {"input_ids": {0: B, 1: S}, "attention_mask": {0: B, 1: S}, "last_hidden_state": {0: B, 1: S}})
    with torch.no_grad():
        hidden = model.encode(ids, mask)
    dec_in = torch.tensor([[DECODER_START_ID, 7, 8], [DECODER_START_ID, 9, 10]])
    present = kv_names("present", n_layers)
    axes = {"encoder_attention_mask": {0: B, 1: S}, "input_ids": {0: B, 1: T},
            "encoder_hidden_states": {0: B, 1: S}, "logits": {0: B, 1: T}}
    axes.update({n: {0: B, 2: T if ".decoder." in n else S} for n in present})
    dec_path = os.path.join(tmp_dir, "decoder_model.onnx")
    _export(Decoder(model), (mask, dec_in, hidden), dec_path,
            ["encoder_attention_mask", "input_ids", "encoder_hidden_states"], ["logits"] + present, axes)
    past = [torch.randn(2, heads, 3 if j % 4 < 2 else ids.size(1), dk) for j in range(4 * n_layers)]
    past_names = kv_names("past_key_values", n_layers)
    present_self = kv_names("present", n_layers, ("decoder",))
    axes = {"encoder_attention_mask": {0: B, 1: S}, "input_ids": {0: B, 1: T}, "logits": {0: B, 1: T}}
    axes.update({n: {0: B, 2: P if ".decoder." in n else S} for n in past_names})
    axes.update({n: {0: B, 2: f"{P} + 1"} for n in present_self})
    past_path = os.path.join(tmp_dir, "decoder_with_past_model.onnx")
    _export(DecoderWithPast(model), (mask, dec_in[:, -1:], *past), past_path,
            ["encoder_attention_mask", "input_ids"] + past_names, ["logits"] + present_self, axes)
    return enc_path, dec_path, past_path


def write_configs(cfg, out_dir, vocab_size):
    c = {
        "architectures": ["MarianMTModel"], "model_type": "marian",
        "d_model": cfg["d_model"], "encoder_layers": cfg["enc_layers"], "decoder_layers": cfg["dec_layers"],
        "encoder_attention_heads": cfg["heads"], "decoder_attention_heads": cfg["heads"],
        "encoder_ffn_dim": cfg["ffn_dim"], "decoder_ffn_dim": cfg["ffn_dim"],
        "vocab_size": vocab_size, "decoder_vocab_size": vocab_size,
        "max_position_embeddings": cfg["max_pos"], "max_length": cfg["gen_max_length"],
        "is_encoder_decoder": True, "decoder_start_token_id": DECODER_START_ID,
        "pad_token_id": PAD_ID, "eos_token_id": EOS_ID, "bos_token_id": DECODER_START_ID,
        "forced_eos_token_id": EOS_ID, "num_beams": cfg["num_beams"],
        "scale_embedding": True, "share_encoder_decoder_embeddings": True, "tie_word_embeddings": True,
        "static_position_embeddings": True, "normalize_before": cfg.get("norm") == "pre", "activation_function": "relu",
        "dropout": cfg["dropout"], "attention_dropout": cfg["dropout"], "activation_dropout": 0.0,
        "use_cache": True, "torch_dtype": "float32",
        "language_tokens": dict(LANG_TOKENS),
    }
    write_json(os.path.join(out_dir, "config.json"), c)
    write_json(os.path.join(out_dir, "generation_config.json"), {
        "decoder_start_token_id": DECODER_START_ID, "bos_token_id": DECODER_START_ID, "eos_token_id": EOS_ID,
        "pad_token_id": PAD_ID, "forced_eos_token_id": EOS_ID, "max_length": cfg["gen_max_length"],
        "num_beams": cfg["num_beams"], "do_sample": False,
    })


def run(cfg):
    tok = Tok()
    model, ck = load_model(cfg, tok)
    out_dir = cfg["out_dir"]
    onnx_dir = os.path.join(out_dir, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    tmp_dir = os.path.join(cfg["run_dir"], "onnx")
    enc, dec, past = export_onnx(model, cfg["dec_layers"], cfg["heads"], cfg["d_model"], tmp_dir)
    shutil.copy(enc, os.path.join(onnx_dir, "encoder_model.onnx"))
    # the tied output projection is stored once (a Transpose of the embedding): keeps a larger vocabulary under 50 MB
    merged = share_transposed_weights(merge_decoders(onnx.load(dec), onnx.load(past)))
    onnx.save(merged, os.path.join(onnx_dir, "decoder_model_merged.onnx"))
    write_configs(cfg, out_dir, tok.vocab_size)
    to_tokenizer_json(out_dir, cfg["max_pos"])
    shutil.copy(work("tokenizer", "spm.model"), os.path.join(cfg["run_dir"], "spm.model"))
    for name in sorted(os.listdir(onnx_dir)):
        print(f"export: onnx/{name} {os.path.getsize(os.path.join(onnx_dir, name)) / 1e6:.1f} MB")
