"""Paths, text normalisation and small helpers shared by every stage."""
import json
import os
import re
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORK = os.environ.get("TI_WORK", os.path.join(HERE, "work"))
MODEL_DIR = os.path.join(REPO, "models", "en-zh-transformer")
PARITY_FIXTURE = os.path.join(REPO, "test", "fixtures", "parity", "en-zh-transformer.json")

PACKAGES = ["libreoffice-l10n-zh-cn", "libreoffice-help-en-us", "libreoffice-help-zh-cn"]
LANG_TOKENS = {"en": ">>en<<", "zh": ">>zh<<"}
# Fixed special ids (sentencepiece trainer arguments in tokenizer.py).
PAD_ID, EOS_ID, UNK_ID = 0, 1, 2
LANG_IDS = {"en": 3, "zh": 4}

_WS = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalize(text):
    """The one normalisation used for training data, tokenizer and inference.

    Unicode NFC (not NFKC: NFKC would fold Chinese full-width punctuation such as
    '，' '：' '（' into ASCII), then every run of whitespace becomes one space and
    the ends are stripped. tokenizer.json reproduces exactly this (NFC, Replace, Strip).
    """
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def has_cjk(text):
    return _CJK.search(text) is not None


def work(*parts):
    return os.path.join(WORK, *parts)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)
