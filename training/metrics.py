"""chrF and BLEU with sacreBLEU's definitions (no sacrebleu here), plus a self-test.

BLEU: corpus-level, 4-gram, brevity penalty, sacreBLEU's default 'exp' smoothing; tokenizer '13a'
for English and 'zh' for Chinese (each CJK character becomes a token, the rest as 13a), i.e.
character-level BLEU on Chinese. chrF: chrF2 (character 6-grams, beta 2, whitespace ignored),
corpus statistics summed over sentences then averaged over orders, as sacreBLEU 2.x.
Self-test: /usr/bin/python3 training/metrics.py
"""
import math
import re
from collections import Counter

_13A = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]
_ZH_RANGES = [(0x3400, 0x4DB5), (0x4E00, 0x9FA5), (0x9FA6, 0x9FBB), (0xF900, 0xFA2D), (0xFA30, 0xFA6A),
              (0xFA70, 0xFAD9), (0x20000, 0x2A6D6), (0x2F800, 0x2FA1D), (0xFF00, 0xFFEF), (0x2E80, 0x2EFF),
              (0x3000, 0x303F), (0x31C0, 0x31EF), (0x2F00, 0x2FDF), (0x2FF0, 0x2FFF), (0x3100, 0x312F),
              (0x31A0, 0x31BF), (0xFE10, 0xFE1F), (0xFE30, 0xFE4F), (0x2600, 0x26FF), (0x2700, 0x27BF),
              (0x3200, 0x32FF), (0x3300, 0x33FF)]


def tok_13a(line):
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} "
    for rx, sub in _13A:
        line = rx.sub(sub, line)
    return " ".join(line.split())


def _is_zh(ch):
    c = ord(ch)
    return any(a <= c <= b for a, b in _ZH_RANGES)


def tok_zh(line):
    return tok_13a("".join(f" {ch} " if _is_zh(ch) else ch for ch in line.strip()))


def _ngrams(words, n_max):
    c = Counter()
    for n in range(1, n_max + 1):
        for i in range(len(words) - n + 1):
            c[tuple(words[i:i + n])] += 1
    return c


def bleu(hyps, refs, lang="en"):
    """Corpus BLEU. refs: list of reference strings, or a list of such lists (multiple references)."""
    ref_sets = refs if refs and isinstance(refs[0], (list, tuple)) else [refs]
    tok = tok_zh if lang == "zh" else tok_13a
    correct, total = [0] * 4, [0] * 4
    sys_len = ref_len = 0
    for i, h in enumerate(hyps):
        hw = tok(h).split()
        rws = [tok(rs[i]).split() for rs in ref_sets]
        sys_len += len(hw)
        ref_len += min((abs(len(r) - len(hw)), len(r)) for r in rws)[1]  # closest, ties -> shorter
        hc = _ngrams(hw, 4)
        max_ref = Counter()
        for r in rws:
            max_ref |= _ngrams(r, 4)
        for ng, c in hc.items():
            n = len(ng) - 1
            total[n] += c
            correct[n] += min(c, max_ref.get(ng, 0))
    if sys_len == 0:
        return 0.0
    precisions, smooth = [], 1.0
    for n in range(4):
        if total[n] == 0:
            return 0.0
        if correct[n] == 0:
            smooth *= 2
            precisions.append(100.0 / (smooth * total[n]))
        else:
            precisions.append(100.0 * correct[n] / total[n])
    bp = 1.0 if sys_len >= ref_len else math.exp(1 - ref_len / sys_len)
    return bp * math.exp(sum(math.log(p) for p in precisions) / 4)


def _char_ngrams(s, order=6):
    s = "".join(s.split())
    return [Counter(s[i:i + n] for i in range(len(s) - n + 1)) for n in range(1, order + 1)]


def _f_score(stats, beta=2, order=6):
    factor, avg_p, avg_r, eff = beta ** 2, 0.0, 0.0, 0
    for n in range(order):
        n_hyp, n_ref, n_match = stats[3 * n:3 * n + 3]
        if n_hyp > 0 and n_ref > 0:
            avg_p += n_match / n_hyp
            avg_r += n_match / n_ref
            eff += 1
    if eff == 0:
        return 0.0
    avg_p, avg_r = avg_p / eff, avg_r / eff
    return 100 * (1 + factor) * avg_p * avg_r / (factor * avg_p + avg_r) if avg_p + avg_r else 0.0


def chrf(hyps, refs):
    """Corpus chrF2 (single or multiple references, best reference per sentence)."""
    ref_sets = refs if refs and isinstance(refs[0], (list, tuple)) else [refs]
    total = [0] * 18
    for i, h in enumerate(hyps):
        hn = _char_ngrams(h)
        best, best_f = None, -1.0
        for rs in ref_sets:
            stats = []
            for hc, rc in zip(hn, _char_ngrams(rs[i])):
                match = sum(min(c, rc[g]) for g, c in hc.items() if g in rc)
                stats += [sum(hc.values()) if rc else 0, sum(rc.values()), match]
            f = _f_score(stats)
            if f > best_f:
                best, best_f = stats, f
        total = [a + b for a, b in zip(total, best)]
    return _f_score(total)


def self_test():
    # Reference values printed by sacreBLEU 2.x for these inputs.
    h = ["The relationship between Obama and Netanyahu is not exactly friendly."]
    r = ["The ties between Obama and Netanyahu are not particularly friendly."]
    assert abs(chrf(h, r) - 61.576379378113785) < 1e-6, chrf(h, r)
    h = ["The relationship between cats and dogs is not exactly friendly.",
         "a good bookshop is just a genteel black hole that knows how to read."]
    r = ["The relationship between dogs and cats is not exactly friendly.",
         "A good bookshop is just a genteel Black Hole that knows how to read."]
    assert abs(chrf(h, r) - 84.64214891738334) < 1e-6, chrf(h, r)
    sys_ = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
    refs = [["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
            ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."]]
    assert abs(bleu(sys_, refs) - 48.530827) < 1e-4, bleu(sys_, refs)
    assert abs(bleu(["abc"], ["abc"]) - 0.0) < 1e-9  # fewer than 4 tokens: no 4-grams
    assert tok_zh("保存文件（F）。OK, done.") == "保 存 文 件 （ F ） 。 OK , done ."
    assert abs(bleu(["保存所有更改并关闭对话框。"], ["保存所有更改并关闭对话框。"], "zh") - 100.0) < 1e-9
    assert tok_13a("Hello, world. 3.5-4") == "Hello , world . 3.5 - 4"
    print("metrics self-test passed")


if __name__ == "__main__":
    self_test()
