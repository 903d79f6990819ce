"""Vocabulary-size study for the joint en+zh sentencepiece tokenizer (not a recipe stage).

usage: /usr/bin/python3 training/vocab_study.py [--sizes 8000,12000,16000,24000,32000] [--bpe 12000,16000]
                                                [--everyday 0,0.5]

Trains tokenizers with tokenizer.train()'s settings on work/data/train.jsonl into work/vocab-study/
and measures them on held-out text: the in-domain test split, the out-of-domain monaco-editor set
(ood.jsonl) and eval/software.tsv. English: pieces per whitespace word; Chinese: pieces per 10
characters (non-space) and per word (jieba segmentation, when python3-jieba is installed).
Everyday text (everyday.py) can be mixed into the tokenizer's corpus (--everyday: its characters as a
share of the parallel text's); held-out WordNet sentences (English pieces per word) and held-out jieba
dictionary words (Chinese pieces per word, weighted by frequency; share of the 500 most frequent kept
whole) measure how everyday words fare. Also: <unk> rate, pieces per sentence, pieces seen < 10 times in training, and the model's
parameters and relative compute for the `full` architecture. Writes results.json and report.md.
"""
import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sentencepiece as spm  # noqa: E402

import config  # noqa: E402
import everyday  # noqa: E402
import tokenizer  # noqa: E402
from common import HERE, UNK_ID, has_cjk, normalize, read_jsonl, work, write_json  # noqa: E402

try:
    import jieba  # Debian python3-jieba (MIT)
    jieba.setLogLevel(60)
except ImportError:
    jieba = None

OUT = work("vocab-study")
EXAMPLES = ["The cat sat on the mat because it was tired.", "Transformer", "Open the file in a new window.",
            "Save your changes before closing the document.", "保存文档中的修改。"]


def held_out_sets():
    sets = {"test": read_jsonl(work("data", "test.jsonl")), "ood": read_jsonl(work("data", "ood.jsonl"))}
    rows = []
    with open(os.path.join(HERE, "eval", "software.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                _, en, zh = line.rstrip("\n").split("\t")
                rows.append({"en": normalize(en), "zh": normalize(zh)})
    sets["software"] = rows
    return sets


def param_count(cfg, vocab):
    """Parameters of model.Transformer (one embedding shared by encoder, decoder and output)."""
    d, f = cfg["d_model"], cfg["ffn_dim"]
    attn, ffn, ln = 4 * (d * d + d), d * f + f + f * d + d, 2 * d
    enc = cfg["enc_layers"] * (attn + ffn + 2 * ln)
    dec = cfg["dec_layers"] * (2 * attn + ffn + 3 * ln)
    return vocab * d + enc + dec + 2 * ln


def step_flops(cfg, vocab, n_src, n_tgt):
    """Multiply-adds of one forward pass (matrix products only; attention scores are small here)."""
    d, f = cfg["d_model"], cfg["ffn_dim"]
    enc = cfg["enc_layers"] * (4 * d * d + 2 * d * f)
    dec = cfg["dec_layers"] * (8 * d * d + 2 * d * f)
    return n_src * enc + n_tgt * (dec + d * vocab)


def measure(sp, sets, cfg, train_counts):
    res, bare = {}, sp.piece_to_id("\u2581")
    for name, rows in sets.items():
        en_p = [sp.encode(r["en"]) for r in rows]
        zh_p = [sp.encode(r["zh"]) for r in rows]
        en_words = sum(len(r["en"].split()) for r in rows)
        zh_chars = sum(len(r["zh"].replace(" ", "")) for r in rows)
        n_en, n_zh = sum(map(len, en_p)), sum(map(len, zh_p))
        m = {"pairs": len(rows), "en_pieces_per_word": n_en / en_words, "zh_pieces_per_10_chars": 10 * n_zh / zh_chars,
             "en_pieces_per_sentence": n_en / len(rows), "zh_pieces_per_sentence": n_zh / len(rows),
             "unk_per_1000_pieces": 1000 * sum(p.count(UNK_ID) for p in en_p + zh_p) / (n_en + n_zh),
             # a lone word-start piece before a letter ('▁ s at'): frequent in Chinese lines, so Unigram keeps it
             "en_bare_space_per_100_words": 100 * sum(p.count(bare) for p in en_p) / en_words}
        if jieba:
            zh_words = sum(sum(1 for w in jieba.lcut(r["zh"]) if w.strip()) for r in rows)
            m["zh_pieces_per_word"] = n_zh / zh_words
        # both directions, with the language token and </s>: encoder n_src + 2, decoder n_tgt + 1
        m["flops_per_pair"] = sum(step_flops(cfg, sp.get_piece_size(), len(a) + 2, len(b) + 1)
                                  + step_flops(cfg, sp.get_piece_size(), len(b) + 2, len(a) + 1)
                                  for a, b in zip(en_p, zh_p)) / len(rows)
        res[name] = m
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    res["vocab"] = {
        "size": sp.get_piece_size(), "cjk_pieces": sum(has_cjk(p) for p in pieces),
        "cjk_multi_char_pieces": sum(has_cjk(p) and len(p.strip("\u2581")) > 1 for p in pieces),
        "rare_lt10_in_train": sum(1 for i in range(5, sp.get_piece_size()) if train_counts[i] < 10),
        "unused_in_train": sum(1 for i in range(5, sp.get_piece_size()) if train_counts[i] == 0),
        "params": param_count(cfg, sp.get_piece_size()),
    }
    en = everyday.wordnet_sentences()["held_out"]
    zh = everyday.jieba_words()["held_out"]
    # a word on its own gets the line-start '▁' that it does not have inside a Chinese sentence
    zh_len = [len(sp.encode(w)) - (sp.encode(w)[0] == bare) for w, _ in zh]
    res["everyday"] = {
        "en_pieces_per_word": sum(len(sp.encode(t)) for t in en) / sum(len(t.split()) for t in en),
        "zh_pieces_per_word": sum(f * n for (_, f), n in zip(zh, zh_len)) / sum(f for _, f in zh),
        "zh_top500_whole": sum(n == 1 for n in zh_len[:500]) / 500,
    }
    res["examples"] = {t: sp.encode(normalize(t), out_type=str) for t in EXAMPLES}
    return res


def report(results, base):
    lines = ["| tokenizer | test en pcs/word | test zh pcs/10 chars | test zh pcs/word | ood en pcs/word | "
             "ood zh pcs/10 chars | ood zh pcs/word | software en / zh-10 | unk/1k (test, ood) | "
             "lone ▁ /100 en words (test) | rare pieces (<10 in train) | params | compute per pair vs 8k (test, ood) | "
             "everyday en pcs/word | everyday zh pcs/word | top-500 zh words whole |",
             "|" + "---|" * 16]
    for name, r in results.items():
        t, o, s, v = r["test"], r["ood"], r["software"], r["vocab"]
        lines.append(
            f"| {name} | {t['en_pieces_per_word']:.3f} | {t['zh_pieces_per_10_chars']:.2f} | "
            f"{t.get('zh_pieces_per_word', float('nan')):.3f} | {o['en_pieces_per_word']:.3f} | "
            f"{o['zh_pieces_per_10_chars']:.2f} | {o.get('zh_pieces_per_word', float('nan')):.3f} | "
            f"{s['en_pieces_per_word']:.3f} / {s['zh_pieces_per_10_chars']:.2f} | "
            f"{t['unk_per_1000_pieces']:.2f}, {o['unk_per_1000_pieces']:.2f} | "
            f"{t['en_bare_space_per_100_words']:.1f} | "
            f"{v['rare_lt10_in_train']:,} ({100 * v['rare_lt10_in_train'] / v['size']:.0f}%) | "
            f"{v['params'] / 1e6:.2f} M | {t['flops_per_pair'] / base['test']['flops_per_pair']:.2f}, "
            f"{o['flops_per_pair'] / base['ood']['flops_per_pair']:.2f} | {r['everyday']['en_pieces_per_word']:.3f} | "
            f"{r['everyday']['zh_pieces_per_word']:.3f} | {100 * r['everyday']['zh_top500_whole']:.0f}% |")
    lines += ["", "| tokenizer | sentence | pieces |", "|---|---|---|"]
    for name, r in results.items():
        for text, pcs in r["examples"].items():
            lines.append(f"| {name} | {text} | {len(pcs)}: `{' '.join(pcs)}` |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="8000,12000,16000,24000,32000")
    ap.add_argument("--bpe", default="12000,16000", help="BPE sizes to compare (comma-separated, empty for none)")
    ap.add_argument("--everyday", default="0", help="everyday-text shares to try with each size (comma-separated)")
    a = ap.parse_args()
    cfg = config.FULL
    train_rows = read_jsonl(work("data", "train.jsonl"))
    sets = held_out_sets()
    shares = [float(x) for x in a.everyday.split(",")]
    runs = [("unigram", int(s), e) for s in a.sizes.split(",") if s for e in shares]
    runs += [("bpe", int(s), e) for s in a.bpe.split(",") if s for e in shares]
    results = {}
    for kind, size, share in runs:
        name = f"{kind}-{size // 1000}k" + (f"+everyday{share:g}" if share else "")
        corpus = tokenizer.write_corpus(os.path.join(OUT, f"corpus-{share:g}.txt"), train_rows, share)
        t = time.time()
        path = tokenizer.train(size, kind, os.path.join(OUT, name), corpus)
        secs = time.time() - t
        sp = spm.SentencePieceProcessor(model_file=path)
        counts = collections.Counter(i for r in train_rows for text in (r["en"], r["zh"]) for i in sp.encode(text))
        results[name] = measure(sp, sets, cfg, counts)
        results[name]["train_seconds"] = round(secs)
        print(f"vocab_study: {name} trained in {secs:.0f}s; test en {results[name]['test']['en_pieces_per_word']:.3f} "
              f"pcs/word, zh {results[name]['test']['zh_pieces_per_10_chars']:.2f} pcs/10 chars", flush=True)
    write_json(os.path.join(OUT, "results.json"), results)
    md = report(results, results[next(iter(results))])
    with open(os.path.join(OUT, "report.md"), "w", encoding="utf-8") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
