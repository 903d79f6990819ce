"""Encoder-decoder Transformer ("Attention Is All You Need"), written out explicitly.

Attention is spelled out (Q/K/V Linear -> [b,s,h,d] -> transpose -> matmul(q,k^T)/sqrt(d) + mask
-> softmax(-1) -> matmul(.,v) -> transpose/reshape -> out Linear) so an ONNX graph of it shows
the attention probabilities as the Softmax between the two MatMuls. Residual blocks are post-LN
as in the paper or pre-LN (cfg "norm"; the shipped model is pre-LN, see README),
sinusoidal positions, one embedding matrix shared by encoder, decoder and output projection.
The decoder has an explicit KV cache (self-attention keys/values grow, cross-attention keys/values
are computed once from the encoder output), used by greedy decoding and by the ONNX export.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

NEG = -1e9


def sinusoid_table(n_pos, d):
    pos = torch.arange(n_pos, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(n_pos, d)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


class Attention(nn.Module):
    def __init__(self, d, heads, dropout):
        super().__init__()
        self.h, self.dk = heads, d // heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))
        self.drop = nn.Dropout(dropout)
        self.keep = None  # a list to collect attention probabilities in, as output_attentions=True would

    def split(self, x):  # [b, s, d] -> [b, h, s, dk]
        return x.reshape(x.size(0), x.size(1), self.h, self.dk).transpose(1, 2)

    def kv(self, x):
        return self.split(self.k_proj(x)), self.split(self.v_proj(x))

    def forward(self, x, k, v, mask):
        q = self.split(self.q_proj(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dk) + mask
        probs = torch.softmax(scores, dim=-1)
        if self.keep is not None:
            self.keep.append(probs)
        out = torch.matmul(self.drop(probs), v)
        out = out.transpose(1, 2).reshape(x.size(0), x.size(1), self.h * self.dk)
        return self.out_proj(out)


class FFN(nn.Module):
    def __init__(self, d, ffn, dropout):
        super().__init__()
        self.fc1, self.fc2, self.drop = nn.Linear(d, ffn), nn.Linear(ffn, d), nn.Dropout(dropout)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.fc1(x))))


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, ffn, dropout, pre_ln):
        super().__init__()
        self.self_attn, self.ffn = Attention(d, heads, dropout), FFN(d, ffn, dropout)
        self.ln1, self.ln2, self.drop = nn.LayerNorm(d), nn.LayerNorm(d), nn.Dropout(dropout)
        self.pre_ln = pre_ln

    def forward(self, x, mask):
        if self.pre_ln:  # x + Sublayer(LN(x))
            h = self.ln1(x)
            k, v = self.self_attn.kv(h)
            x = x + self.drop(self.self_attn(h, k, v, mask))
            return x + self.drop(self.ffn(self.ln2(x)))
        k, v = self.self_attn.kv(x)  # LN(x + Sublayer(x)), as in the paper
        x = self.ln1(x + self.drop(self.self_attn(x, k, v, mask)))
        return self.ln2(x + self.drop(self.ffn(x)))


class DecoderLayer(nn.Module):
    def __init__(self, d, heads, ffn, dropout, pre_ln):
        super().__init__()
        self.pre_ln = pre_ln
        self.self_attn, self.cross_attn = Attention(d, heads, dropout), Attention(d, heads, dropout)
        self.ffn = FFN(d, ffn, dropout)
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, self_mask, cross_mask, past_self, cross_kv):
        """past_self: (k, v) of earlier positions or None; cross_kv: (k, v) of the encoder output."""
        h = self.ln1(x) if self.pre_ln else x
        k, v = self.self_attn.kv(h)
        if past_self is not None:
            k, v = torch.cat([past_self[0], k], dim=2), torch.cat([past_self[1], v], dim=2)
        if self.pre_ln:
            x = x + self.drop(self.self_attn(h, k, v, self_mask))
            x = x + self.drop(self.cross_attn(self.ln2(x), cross_kv[0], cross_kv[1], cross_mask))
            return x + self.drop(self.ffn(self.ln3(x))), (k, v)
        x = self.ln1(x + self.drop(self.self_attn(x, k, v, self_mask)))
        x = self.ln2(x + self.drop(self.cross_attn(x, cross_kv[0], cross_kv[1], cross_mask)))
        return self.ln3(x + self.drop(self.ffn(x))), (k, v)


class Transformer(nn.Module):
    def __init__(self, vocab_size, d_model=256, heads=4, ffn_dim=1024, enc_layers=3, dec_layers=3,
                 dropout=0.1, max_pos=256, pad_id=0, pre_ln=False):
        super().__init__()
        self.d, self.pad_id = d_model, pad_id
        self.embed = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        nn.init.normal_(self.embed.weight, 0.0, d_model ** -0.5)
        with torch.no_grad():
            self.embed.weight[pad_id].zero_()
        self.register_buffer("pe", sinusoid_table(max_pos, d_model), persistent=False)
        self.encoder = nn.ModuleList(EncoderLayer(d_model, heads, ffn_dim, dropout, pre_ln) for _ in range(enc_layers))
        self.decoder = nn.ModuleList(DecoderLayer(d_model, heads, ffn_dim, dropout, pre_ln) for _ in range(dec_layers))
        # pre-LN needs a final LayerNorm on each stack; post-LN already ends in one
        self.enc_ln = nn.LayerNorm(d_model) if pre_ln else nn.Identity()
        self.dec_ln = nn.LayerNorm(d_model) if pre_ln else nn.Identity()
        self.drop = nn.Dropout(dropout)
        for name, p in self.named_parameters():
            if p.dim() == 2 and "embed" not in name:
                nn.init.xavier_uniform_(p)

    def embed_at(self, ids, offset):
        pos = self.pe[offset:offset + ids.size(1)]
        return self.drop(self.embed(ids) * math.sqrt(self.d) + pos)

    @staticmethod
    def padding_mask(attention_mask):  # [b, s] of 1/0 -> additive [b, 1, 1, s]
        return (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * NEG

    @staticmethod
    def causal_mask(q_len, past_len, device):  # [1, 1, q, past + q]
        q_pos = torch.arange(q_len, device=device)[:, None] + past_len
        k_pos = torch.arange(past_len + q_len, device=device)[None, :]
        return (k_pos > q_pos).to(torch.float32)[None, None] * NEG

    def encode(self, input_ids, attention_mask):
        mask = self.padding_mask(attention_mask)
        x = self.embed_at(input_ids, 0)
        for layer in self.encoder:
            x = layer(x, mask)
        return self.enc_ln(x)

    def cross_kv(self, enc_out):
        return [layer.cross_attn.kv(enc_out) for layer in self.decoder]

    def decode(self, input_ids, enc_attention_mask, cross_kv, past=None):
        """One decoder pass. past: list of (k, v) self-attention caches per layer, or None.
        Returns logits [b, t, V] and the updated self-attention caches."""
        past_len = 0 if past is None else past[0][0].size(2)
        x = self.embed_at(input_ids, past_len)
        self_mask = self.causal_mask(input_ids.size(1), past_len, input_ids.device)
        cross_mask = self.padding_mask(enc_attention_mask)
        present = []
        for i, layer in enumerate(self.decoder):
            x, kv = layer(x, self_mask, cross_mask, None if past is None else past[i], cross_kv[i])
            present.append(kv)
        return F.linear(self.dec_ln(x), self.embed.weight), present

    def forward(self, src, src_mask, tgt_in):
        enc = self.encode(src, src_mask)
        logits, _ = self.decode(tgt_in, src_mask, self.cross_kv(enc))
        return logits


@torch.no_grad()
def greedy(model, src, src_mask, start_id, eos_id, max_len):
    """Batched greedy decoding with the KV cache. Returns a list of id lists (without start, up to eos)."""
    enc = model.encode(src, src_mask)
    cross = model.cross_kv(enc)
    b = src.size(0)
    ys = torch.full((b, 1), start_id, dtype=torch.long, device=src.device)
    done = torch.zeros(b, dtype=torch.bool, device=src.device)
    past, out = None, []
    for _ in range(max_len):
        logits, past = model.decode(ys[:, -1:], src_mask, cross, past)
        nxt = logits[:, -1].argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, eos_id), nxt)
        out.append(nxt)
        ys = torch.cat([ys, nxt[:, None]], dim=1)
        done |= nxt == eos_id
        if bool(done.all()):
            break
    seqs = torch.stack(out, 1).tolist() if out else [[] for _ in range(b)]
    res = []
    for s in seqs:
        res.append(s[:s.index(eos_id) + 1] if eos_id in s else s)
    return res


def build(cfg, vocab_size):
    return Transformer(vocab_size, cfg["d_model"], cfg["heads"], cfg["ffn_dim"], cfg["enc_layers"],
                       cfg["dec_layers"], cfg["dropout"], cfg["max_pos"], pre_ln=cfg.get("norm") == "pre")
