"""Stage `tokenizer`: joint English+Chinese SentencePiece Unigram model (24k pieces) -> tokenizer.json.

Its corpus is both sides of the training pairs plus everyday English and Chinese (everyday.py), so common
words outside software text stay whole.

Ids are fixed: <pad>=0, </s>=1, <unk>=2, >>en<<=3, >>zh<<=4 (user-defined symbols), then pieces.
Text is normalised by common.normalize() (NFC + whitespace collapse + strip) before
sentencepiece sees it, and sentencepiece itself runs with the `identity` rule, so the
tokenizer.json normaliser (NFC, Replace \\s+ -> ' ', Strip) reproduces it exactly.
The encoder input for text T translated into language L is: [>>L<<] + spm(T) + [</s>],
which is also what @huggingface/tokenizers gives for encode(">>L<< " + T).
"""
import os
import random
import subprocess
import tempfile

import sentencepiece as spm

import everyday

from common import HERE, REPO, EOS_ID, LANG_IDS, LANG_TOKENS, PAD_ID, UNK_ID, normalize, read_json, read_jsonl, work, write_json

SPM_PREFIX = "spm"
# Joint en+zh pieces: vocab_study.py measured 8k-32k on held-out text (README, "Tokenizer").
DEFAULT_VOCAB_SIZE = 24000


def spm_path():
    return work("tokenizer", SPM_PREFIX + ".model")


def write_corpus(path, rows, everyday_share=0.0):
    """Both sides of the pairs, plus everyday text adding `everyday_share` × their characters per language."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    extra = everyday.corpus_lines(everyday_share, sum(len(r["en"]) for r in rows), sum(len(r["zh"]) for r in rows))
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(r["en"] + "\n" + r["zh"] + "\n")
        for line in extra:
            f.write(line + "\n")
    return path


def train(vocab_size=DEFAULT_VOCAB_SIZE, model_type="unigram", prefix=None, corpus=None, everyday_share=0.0):
    """Trains sentencepiece on the training split (both languages) plus everyday text; returns the .model path."""
    prefix = prefix or work("tokenizer", SPM_PREFIX)
    corpus = corpus or write_corpus(work("tokenizer", "corpus.txt"), read_jsonl(work("data", "train.jsonl")),
                                    everyday_share)
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, model_type=model_type,
        vocab_size=vocab_size, character_coverage=1.0, normalization_rule_name="identity",
        remove_extra_whitespaces=True, add_dummy_prefix=True, split_digits=True,
        pad_id=PAD_ID, eos_id=EOS_ID, unk_id=UNK_ID, bos_id=-1,
        pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>",
        user_defined_symbols=[LANG_TOKENS["en"], LANG_TOKENS["zh"]],
        num_threads=2, seed_sentencepiece_size=200000, minloglevel=2,
    )
    return prefix + ".model"


def from_tokenizer_json(model_dir, prefix=None):
    """Rebuilds spm.model from a shipped tokenizer.json (same pieces, scores and ids), so a run continued on new
    data keeps the model's vocabulary exactly instead of refitting it; returns the .model path."""
    from sentencepiece import sentencepiece_model_pb2 as pb
    prefix = prefix or work("tokenizer", SPM_PREFIX)
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    vocab = read_json(os.path.join(model_dir, "tokenizer.json"))["model"]["vocab"]
    rnd = random.Random(0)
    words = [" ".join("".join(rnd.choices("abcdefghijklmnop", k=rnd.randint(2, 7))) for _ in range(12))
             for _ in range(3000)]
    proto = pb.ModelProto()
    with tempfile.TemporaryDirectory() as tmp:  # a throwaway fit, only for its trainer and normaliser specs
        seed = write_corpus(os.path.join(tmp, "seed.txt"), [{"en": w, "zh": w} for w in words])
        with open(train(vocab_size=300, prefix=os.path.join(tmp, "seed"), corpus=seed), "rb") as f:
            proto.ParseFromString(f.read())
    kinds = {"<pad>": pb.ModelProto.SentencePiece.CONTROL, "</s>": pb.ModelProto.SentencePiece.CONTROL,
             "<unk>": pb.ModelProto.SentencePiece.UNKNOWN, LANG_TOKENS["en"]: pb.ModelProto.SentencePiece.USER_DEFINED,
             LANG_TOKENS["zh"]: pb.ModelProto.SentencePiece.USER_DEFINED}
    del proto.pieces[:]
    for piece, score in vocab:
        proto.pieces.add(piece=piece, score=score, type=kinds.get(piece, pb.ModelProto.SentencePiece.NORMAL))
    proto.trainer_spec.vocab_size = len(vocab)
    with open(prefix + ".model", "wb") as f:
        f.write(proto.SerializeToString())
    if os.path.exists(prefix + ".vocab"):
        os.remove(prefix + ".vocab")  # a fitted vocabulary's listing; this one is tokenizer.json
    return prefix + ".model"


class Tok:
    """Thin wrapper used by training, evaluation and the parity fixture."""

    def __init__(self, path=None):
        self.path = path or spm_path()
        self.sp = spm.SentencePieceProcessor(model_file=self.path)
        assert self.sp.piece_to_id(LANG_TOKENS["en"]) == LANG_IDS["en"]
        assert self.sp.piece_to_id(LANG_TOKENS["zh"]) == LANG_IDS["zh"]
        self.vocab_size = self.sp.get_piece_size()

    def pieces(self, text):
        return self.sp.encode(normalize(text))

    def encode_source(self, text, tgt_lang):
        """Encoder input ids: target-language token, pieces, </s>."""
        return [LANG_IDS[tgt_lang]] + self.pieces(text) + [EOS_ID]

    def encode_target(self, text):
        return self.pieces(text) + [EOS_ID]

    def decode(self, ids):
        ids = [i for i in ids if i not in (PAD_ID, EOS_ID, LANG_IDS["en"], LANG_IDS["zh"])]
        return self.sp.decode(ids)


def to_tokenizer_json(out_dir, model_max_length):
    """Write tokenizer.json + tokenizer_config.json for @huggingface/tokenizers."""
    sp = spm.SentencePieceProcessor(model_file=spm_path())
    vocab = [[sp.id_to_piece(i), 0.0 if sp.is_control(i) or sp.is_unknown(i) else sp.get_score(i)]
             for i in range(sp.get_piece_size())]
    specials = ["<pad>", "</s>", "<unk>", LANG_TOKENS["en"], LANG_TOKENS["zh"]]
    added = [{"id": sp.piece_to_id(t), "content": t, "single_word": False, "lstrip": False,
              "rstrip": t.startswith(">>"), "normalized": False, "special": True} for t in specials]
    metaspace = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": False}
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
            {"type": "Strip", "strip_left": True, "strip_right": True}]},
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [EOS_ID], "tokens": ["</s>"]}}},
        "decoder": metaspace,
        "model": {"type": "Unigram", "unk_id": UNK_ID, "vocab": vocab, "byte_fallback": False},
    }
    write_json(os.path.join(out_dir, "tokenizer.json"), tok)
    write_json(os.path.join(out_dir, "tokenizer_config.json"), {
        "tokenizer_class": "MarianTokenizer", "model_max_length": model_max_length,
        "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
        "additional_special_tokens": [LANG_TOKENS["en"], LANG_TOKENS["zh"]],
        "clean_up_tokenization_spaces": False, "separate_vocabs": False,
        "source_lang": "en", "target_lang": "zh",
    })


def check_cases(n=1500, seed=0):
    """Sentences of both languages (held-out + train + tricky strings) with spm ids, for the Node check."""
    tok = Tok()
    rows = read_jsonl(work("data", "test.jsonl")) + read_jsonl(work("data", "train.jsonl"))
    rnd = random.Random(seed)
    texts = [t for r in rnd.sample(rows, min(n, len(rows))) for t in (r["en"], r["zh"])]
    texts += ["  Hello,\tworld!  ", "Ｆｕｌｌｗｉｄｔｈ　ＡＳＣＩＩ", "emoji 😀 and 𠀀 rare", "a\u0301 é café",
              "// TODO: fix the cache invalidation bug", "const x = await fetch(url);", "重复的  空格", "ñ ß Æ ÿ"]
    cases = []
    for i, t in enumerate(texts):
        lang = "zh" if i % 2 == 0 else "en"
        cases.append({"text": t, "lang_token": LANG_TOKENS[lang], "ids": tok.encode_source(t, lang),
                      "decoded": tok.decode(tok.pieces(t))})
    path = work("tokenizer", "check_cases.json")
    write_json(path, cases)
    return path


def node_check(model_dir):
    """Runs check_tokenizer.mjs on check_cases(); returns its last output line."""
    p = subprocess.run(["node", os.path.join(HERE, "check_tokenizer.mjs"), model_dir, check_cases()],
                       cwd=REPO, capture_output=True, text=True)
    print(p.stdout.strip()[-1500:], p.stderr.strip()[-500:])
    return (p.stdout.strip().splitlines() or ["node check failed"])[-1]


def run(cfg):
    size = cfg.get("vocab_size", DEFAULT_VOCAB_SIZE)
    if cfg.get("keep_vocab"):
        from_tokenizer_json(cfg["init_from"])
        size = Tok().vocab_size
    else:
        train(size, everyday_share=cfg.get("everyday_share", 0.0))
    with open(work("tokenizer", "vocab_size.txt"), "w") as f:
        f.write(f"{size}\n")  # config.get() warns when a config with another size would use this one
    to_tokenizer_json(work("tokenizer"), cfg["max_pos"])
    sp = Tok()
    print(f"tokenizer: vocab {sp.vocab_size}; e.g. {sp.sp.encode('Saves all changes and closes the dialog.', out_type=str)}"
          f" {sp.sp.encode('保存所有设置并关闭窗口。', out_type=str)}")
    line = node_check(work("tokenizer"))
    with open(work("tokenizer", "node_check.txt"), "w") as f:
        f.write(line + "\n")
    print("tokenizer: @huggingface/tokenizers vs sentencepiece:", line)
