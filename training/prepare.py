"""Stage `prepare`: extract parallel text, clean it, split by whole source file.

Sources (both MPL-2.0, unpacked by fetch.py into work/root):
  * UI strings: gettext catalogs of libreoffice-l10n-zh-cn (msgid English, msgstr zh_CN);
  * help pages: libreoffice-help-en-us and -zh-cn HTML, paragraphs aligned by element id.
Writes work/data/{train,dev,test}.jsonl with rows {"en", "zh", "src": "ui:<catalog>|help:<page>"}
and work/data/stats.json with the number of pairs left after each cleaning step.
"""
import collections
import glob
import gettext
import hashlib
import html
import os
import re
from html.parser import HTMLParser

from common import has_cjk, normalize, work, write_json, write_jsonl

UI_DIR = "usr/lib/libreoffice/program/resource/zh_CN/LC_MESSAGES"
HELP_DIR = "usr/share/libreoffice/help"
ID_RE = re.compile(r"^(par|hd)_id")
# Held-out UI catalogs (whole .mo files) and the share of help pages held out.
DEV_CATALOGS = {"chart.mo"}
TEST_CATALOGS = {"dba.mo"}
HELP_DEV_PCT, HELP_TEST_PCT = 2, 3


class ParagraphParser(HTMLParser):
    """Collects the text of every element whose id is par_id*/hd_id*, skipping Mac-only spans."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paras, self.stack, self.cur, self.skip = {}, [], None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("br", "img", "input", "meta", "link"):
            if self.cur is not None and tag == "br":
                self.cur[1].append(" ")
            return
        self.stack.append(tag)
        if self.skip or a.get("class") == "MAC":
            self.skip += 1
            return
        if self.cur is None and ID_RE.match(a.get("id") or ""):
            self.cur = [a["id"], [], len(self.stack)]

    def handle_endtag(self, tag):
        if not self.stack or tag in ("br", "img", "input", "meta", "link"):
            return
        while self.stack and self.stack[-1] != tag and tag in self.stack:
            self.stack.pop()  # tolerate unclosed children
        depth = len(self.stack)
        if self.stack:
            self.stack.pop()
        if self.skip:
            self.skip -= 1
            return
        if self.cur is not None and depth == self.cur[2]:
            pid, parts, _ = self.cur
            self.paras.setdefault(pid, "".join(parts))
            self.cur = None

    def handle_data(self, data):
        if self.cur is not None and not self.skip:
            self.cur[1].append(data)


def help_paragraphs(path):
    p = ParagraphParser()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    return p.paras


def extract_help(root):
    rows = []
    en_root = os.path.join(root, HELP_DIR, "en-US")
    for en_path in sorted(glob.glob(os.path.join(en_root, "text", "**", "*.html"), recursive=True)):
        rel = os.path.relpath(en_path, en_root)
        zh_path = os.path.join(root, HELP_DIR, "zh-CN", rel)
        if not os.path.exists(zh_path):
            continue
        en, zh = help_paragraphs(en_path), help_paragraphs(zh_path)
        for pid, text in en.items():
            if pid in zh:
                rows.append({"en": text, "zh": zh[pid], "src": "help:" + rel})
    return rows


def extract_ui(root):
    rows = []
    for mo in sorted(glob.glob(os.path.join(root, UI_DIR, "*.mo"))):
        with open(mo, "rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog
        for key, zh in catalog.items():
            if not isinstance(key, str) or not key or not isinstance(zh, str):
                continue  # header entry and plural forms
            en = key.split("\x04", 1)[-1]  # drop msgctxt
            rows.append({"en": en, "zh": zh, "src": "ui:" + os.path.basename(mo)})
    return rows


TAG = re.compile(r"<[^<>]{1,40}>")
ZH_MNEMONIC = re.compile(r"\s*\((?:_|~)[A-Za-z0-9]\)")


def strip_markup(text, lang, ui=False):
    text = html.unescape(TAG.sub(" ", text))
    if lang == "zh":
        text = ZH_MNEMONIC.sub("", text)
    text = text.replace("~", "") if "~" in text and " ~ " not in text else text
    if ui and text.count("_") == 1:
        text = re.sub(r"_(?=[^\W_])", "", text)  # mnemonic: L_oad/Save -> Load/Save
    return normalize(text)


PLACEHOLDER = re.compile(r"%[A-Za-z0-9_]+%?|\$\([A-Za-z0-9_]+\)|\$[A-Za-z0-9_]+|\{[^{}]*\}|%\d|%s|%d|#\d?")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:]*$")


def reject_reason(en, zh):
    """Why a pair is not a usable translation pair, or None."""
    if not en or not zh:
        return "empty"
    if en == zh:
        return "identical"
    if not has_cjk(zh):
        return "untranslated"
    bare = PLACEHOLDER.sub("", en)
    if not re.search(r"[A-Za-z]{2,}", bare):
        return "placeholder_only"
    if IDENT.match(en) and (en.isupper() or "_" in en or "." in en or re.search(r"[a-z][A-Z]", en)):
        return "identifier"
    if len(en) > 600 or len(zh) > 300:
        return "too_long"
    ratio = len(en) / len(zh)
    if max(len(en), len(zh)) > 12 and not (0.6 <= ratio <= 9.0):
        return "length_ratio"
    return None


def split_of(src):
    kind, name = src.split(":", 1)
    if kind == "ui":
        return "dev" if name in DEV_CATALOGS else "test" if name in TEST_CATALOGS else "train"
    bucket = int(hashlib.md5(name.encode()).hexdigest(), 16) % 100
    return "dev" if bucket < HELP_DEV_PCT else "test" if bucket < HELP_DEV_PCT + HELP_TEST_PCT else "train"


def run():
    root = work("root")
    raw = extract_ui(root) + extract_help(root)
    stats = collections.OrderedDict()
    stats["raw_pairs"] = dict(collections.Counter(r["src"].split(":")[0] for r in raw), total=len(raw))
    cleaned = []
    for r in raw:
        ui = r["src"].startswith("ui:")
        cleaned.append({"en": strip_markup(r["en"], "en", ui), "zh": strip_markup(r["zh"], "zh", ui), "src": r["src"]})
    reasons = collections.Counter()
    kept = []
    for r in cleaned:
        why = reject_reason(r["en"], r["zh"])
        reasons[why or "kept"] += 1
        if why is None:
            kept.append(r)
    stats["filter_reasons"] = dict(reasons)
    stats["after_filters"] = len(kept)
    seen, dedup = set(), []
    for r in kept:
        key = (r["en"], r["zh"])
        if key not in seen:
            seen.add(key)
            dedup.append(r)
    stats["after_dedup"] = len(dedup)
    splits = {"train": [], "dev": [], "test": []}
    for r in dedup:
        splits[split_of(r["src"])].append(r)
    train_en = {r["en"] for r in splits["train"]}
    train_zh = {r["zh"] for r in splits["train"]}
    for name in ("dev", "test"):
        before = len(splits[name])
        splits[name] = [r for r in splits[name] if r["en"] not in train_en and r["zh"] not in train_zh]
        # one pair per English source inside a held-out split
        uniq, out = set(), []
        for r in splits[name]:
            if r["en"] not in uniq:
                uniq.add(r["en"])
                out.append(r)
        splits[name] = out
        stats[f"{name}_removed_overlap_or_dup"] = before - len(out)
    for name, rows in splits.items():
        write_jsonl(work("data", name + ".jsonl"), rows)
        stats[name] = dict(collections.Counter(r["src"].split(":")[0] for r in rows), total=len(rows),
                           en_chars=sum(len(r["en"]) for r in rows), zh_chars=sum(len(r["zh"]) for r in rows))
    stats["held_out_sources"] = {
        "ui_dev": sorted(DEV_CATALOGS), "ui_test": sorted(TEST_CATALOGS),
        "help_dev_pages": len({r["src"] for r in splits["dev"] if r["src"].startswith("help:")}),
        "help_test_pages": len({r["src"] for r in splits["test"] if r["src"].startswith("help:")}),
    }
    write_json(work("data", "stats.json"), stats)
    for k, v in stats.items():
        print("prepare:", k, v)


if __name__ == "__main__":
    run()
