"""Stage `prepare`: extract parallel text, clean it, split by whole source file.

Sources (unpacked by fetch.py into work/root and work/npm; all permissively licensed):
  * LibreOffice UI strings: gettext catalogs of libreoffice-l10n-zh-cn (msgid English, msgstr zh_CN);
  * LibreOffice help pages: libreoffice-help-en-us and -zh-cn HTML, paragraphs aligned by element id;
  * Chromium locale packs (by resource id), Firefox ESR and Thunderbird language packs (by file path +
    message id), monaco-editor message bundles (by index): see sources.py.
Writes work/data/{train,dev,test}.jsonl with rows {"en", "zh", "src": "<kind>:<source file or group>"},
work/data/ood.jsonl (the whole monaco-editor source, never trained on: an out-of-domain test set)
and work/data/stats.json with the number of pairs left after each cleaning step, overall and per source.
"""
import collections
import glob
import hashlib
import html
import os
import re
from html.parser import HTMLParser

import l10n_formats as L
import sources
from common import HERE, has_cjk, normalize, work, write_json, write_jsonl

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
        for en, zh in L.mo_messages(mo):
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
    if kind in sources.OOD_KINDS:
        return "ood"
    # by file/group name only, so toolkit files shared by Firefox and Thunderbird land in the same split
    bucket = int(hashlib.md5(name.encode()).hexdigest(), 16) % 100
    return "dev" if bucket < HELP_DEV_PCT else "test" if bucket < HELP_DEV_PCT + HELP_TEST_PCT else "train"


def kind_of(row):
    return row["src"].split(":", 1)[0]


def clean_pair(r):
    """(cleaned row, reject reason or None); LibreOffice rows are cleaned exactly as before."""
    kind = kind_of(r)
    if kind in ("ui", "help"):
        ui = kind == "ui"
        c = {"en": strip_markup(r["en"], "en", ui), "zh": strip_markup(r["zh"], "zh", ui), "src": r["src"]}
        return c, reject_reason(c["en"], c["zh"])
    en, zh = sources.clean(r["en"], "en", kind), sources.clean(r["zh"], "zh", kind)
    if en is None or zh is None:
        return r, "unparsed"
    c = {"en": normalize(en), "zh": normalize(zh), "src": r["src"]}
    why = reject_reason(c["en"], c["zh"])
    if why is None and sources.placeholders(c["en"]) != sources.placeholders(c["zh"]):
        why = "placeholder_mismatch"  # a translation that drops or invents a $1 / %S / { $x } / {0}
    return c, why


def software_eval_texts():
    """English and Chinese sentences of eval/software.tsv and eval/card_table.tsv, which must never be trained on."""
    texts = set()
    for name in ("software.tsv", "card_table.tsv"):
        with open(os.path.join(HERE, "eval", name), encoding="utf-8") as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    texts.update(normalize(t) for t in line.rstrip("\n").split("\t")[1:3])
    return texts


def per_kind(rows):
    return collections.Counter(kind_of(r) for r in rows)


def run():
    root = work("root")
    extra, skipped = sources.extract_all(root, work())
    raw = extract_ui(root) + extract_help(root) + extra
    stats = collections.OrderedDict()
    stats["raw_pairs"] = dict(per_kind(raw), total=len(raw))
    reasons, kind_reasons = collections.Counter(), collections.defaultdict(collections.Counter)
    kept = []
    for r in raw:
        c, why = clean_pair(r)
        reasons[why or "kept"] += 1
        kind_reasons[kind_of(r)][why or "kept"] += 1
        if why is None:
            kept.append(c)
    stats["filter_reasons"] = dict(reasons)
    stats["after_filters"] = len(kept)
    seen, dedup = set(), []
    for r in kept:  # LibreOffice first, so its pairs keep their place when another source repeats them
        key = (r["en"], r["zh"])
        if key not in seen:
            seen.add(key)
            dedup.append(r)
    stats["after_dedup"] = len(dedup)
    software = software_eval_texts()
    usable = [r for r in dedup if r["en"] not in software and r["zh"] not in software]
    stats["removed_software_eval_overlap"] = len(dedup) - len(usable)
    splits = {"train": [], "dev": [], "test": [], "ood": []}
    for r in usable:
        splits[split_of(r["src"])].append(r)
    train_en = {r["en"] for r in splits["train"]}
    train_zh = {r["zh"] for r in splits["train"]}
    for name in ("dev", "test", "ood"):
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
        stats[name] = dict(per_kind(rows), total=len(rows),
                           en_chars=sum(len(r["en"]) for r in rows), zh_chars=sum(len(r["zh"]) for r in rows))
    stats["held_out_sources"] = {
        "ui_dev": sorted(DEV_CATALOGS), "ui_test": sorted(TEST_CATALOGS),
        "help_dev_pages": len({r["src"] for r in splits["dev"] if r["src"].startswith("help:")}),
        "help_test_pages": len({r["src"] for r in splits["test"] if r["src"].startswith("help:")}),
        "ood_sources": sorted(sources.OOD_KINDS),
        "other_dev_groups": len({r["src"] for r in splits["dev"] if kind_of(r) not in ("ui", "help")}),
        "other_test_groups": len({r["src"] for r in splits["test"] if kind_of(r) not in ("ui", "help")}),
    }
    raw_k, kept_k, dedup_k = per_kind(raw), per_kind(kept), per_kind(dedup)
    stats["sources"] = {k: {"raw": raw_k[k], "skipped_at_extraction": skipped.get(k, {}),
                            "filter_reasons": dict(kind_reasons[k]), "after_filters": kept_k[k],
                            "after_dedup": dedup_k[k], **{s: per_kind(rows)[k] for s, rows in splits.items()}}
                        for k in ["ui", "help"] + sources.KINDS}
    write_json(work("data", "stats.json"), stats)
    for k, v in stats.items():
        if k != "sources":
            print("prepare:", k, v)
    for k, v in stats["sources"].items():
        print(f"prepare: source {k}: raw {v['raw']}, after filters {v['after_filters']}, after dedup "
              f"{v['after_dedup']}, train/dev/test/ood {v['train']}/{v['dev']}/{v['test']}/{v['ood']}")


if __name__ == "__main__":
    run()
