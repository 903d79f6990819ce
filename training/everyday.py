"""Everyday English and Chinese text for the tokenizer's vocabulary (monolingual: no translation pairs).

Software strings have no cats, mats or tiredness, so a vocabulary fitted to them alone splits everyday
words into letters. Two openly licensed Debian packages (fetched by fetch.py) add ordinary language:
  * wordnet-base (WordNet 3.0 licence): the glosses and example sentences of every synset;
  * python3-jieba (MIT): jieba's dictionary, 349k Chinese words with their corpus frequencies, from which
    lines of running text are sampled (words in proportion to frequency, written without spaces).
One synset in ten and one dictionary word in ten (by rank) are held out for measuring pieces per word.
"""
import hashlib
import random
import re

from common import normalize, work

WORDNET = "usr/share/wordnet"
JIEBA_DICT = "usr/lib/python3/dist-packages/jieba/dict.txt"
QUOTED = re.compile(r'"([^"]+)"')
JIEBA_TOP = 60000        # the dictionary's most frequent words sampled from (the tail is names and rare terms)
WORDS_PER_LINE = 12


def _held_out(key):
    return int(hashlib.md5(key.encode()).hexdigest(), 16) % 10 == 0


def wordnet_sentences(root=None):
    """{"train": [...], "held_out": [...]}: definitions and quoted examples, one per line."""
    root = root or work("root")
    out = {"train": [], "held_out": []}
    for pos in ("noun", "verb", "adj", "adv"):
        with open(f"{root}/{WORDNET}/data.{pos}", encoding="utf-8") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue  # licence header
                offset, gloss = line.split(" ", 1)[0], line.split("|", 1)[1]
                examples = QUOTED.findall(gloss)
                definition = QUOTED.sub("", gloss).split(";")[0]
                split = "held_out" if _held_out(pos + offset) else "train"
                out[split] += [s for s in (normalize(t) for t in [definition] + examples) if len(s.split()) >= 2]
    return out


def jieba_words(root=None):
    """{"train": [(word, freq)], "held_out": [(word, freq)]} of the JIEBA_TOP most frequent Chinese words."""
    root = root or work("root")
    rows = []
    with open(f"{root}/{JIEBA_DICT}", encoding="utf-8") as f:
        for line in f:
            word, freq = line.split()[:2]
            if re.fullmatch(r"[\u4e00-\u9fff]+", word):
                rows.append((word, int(freq)))
    rows.sort(key=lambda r: -r[1])
    rows = rows[:JIEBA_TOP]
    return {"train": [r for i, r in enumerate(rows) if i % 10], "held_out": [r for i, r in enumerate(rows) if i % 10 == 0]}


def chinese_lines(words, n_chars, seed=0):
    """Lines of words drawn in proportion to their frequency, about n_chars characters in all."""
    rnd = random.Random(seed)
    vocab, weights = [w for w, _ in words], [c for _, c in words]
    lines, total = [], 0
    while total < n_chars:
        line = "".join(rnd.choices(vocab, weights, k=WORDS_PER_LINE))
        lines.append(line)
        total += len(line)
    return lines


def corpus_lines(share, en_chars, zh_chars, seed=0):
    """Everyday lines adding `share` × the parallel text's characters in each language (0: none)."""
    if share <= 0:
        return []
    rnd = random.Random(seed)
    english = wordnet_sentences()["train"]
    rnd.shuffle(english)
    picked, total = [], 0
    for s in english:
        if total >= share * en_chars:
            break
        picked.append(s)
        total += len(s)
    return picked + chinese_lines(jieba_words()["train"], share * zh_chars, seed)
