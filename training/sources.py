"""Software translations besides LibreOffice: Chromium, Firefox ESR, Thunderbird, monaco-editor (the
npm packages of npm_sources.py are listed here too).

fetch.py downloads and licence-checks the packages listed here; prepare.py calls extract_all()
and clean(). Rows are {"en", "zh", "src": "<kind>:<group>"}; the group (a .grd file plus message
name prefix, a Mozilla file path, a monaco message) decides the dev/test split.
"""
import glob
import html
import json
import os
import re
import zipfile

import gettext_sources
import l10n_formats as L
import npm_sources

# Debian package -> (licence used, copyright Files: stanza covering its strings, that stanza's License:)
DEBIAN = {
    "libreoffice-l10n-zh-cn": ("MPL-2.0", "*", "MPL-2.0"),
    "libreoffice-help-en-us": ("MPL-2.0", "*", "MPL-2.0"),
    "libreoffice-help-zh-cn": ("MPL-2.0", "*", "MPL-2.0"),
    "chromium-common": ("BSD-3-clause", "*", "BSD-3-clause"),      # locales/en-US.pak
    "chromium-l10n": ("BSD-3-clause", "*", "BSD-3-clause"),        # locales/zh-CN.pak
    "firefox-esr": ("MPL-2.0", "*", "MPL-2.0"),                    # omni.ja, browser/omni.ja
    "firefox-esr-l10n-zh-cn": ("MPL-2.0", "*", "MPL-2.0"),
    "thunderbird": ("MPL-2.0", "*", "MPL-2.0 or GPL-2 or LGPL-2.1"),  # tri-licensed: taken as MPL-2.0
    "thunderbird-l10n-zh-cn": ("MPL-2.0", "thunderbird-l10n/*", "MPL-2.0"),  # MPL-2.0 alone since 153.8 (tri-licensed in 140.12)
    # developer tools' gettext catalogs (gettext_sources.py)
    "postgresql-15": ("PostgreSQL", "*", "PostgreSQL"),
    "postgresql-client-15": ("PostgreSQL", "*", "PostgreSQL"),
    "python3-django": ("BSD-3-Clause", "*", "BSD-3-Clause"),
    "sphinx-common": ("BSD-2-clause", "*", "BSD-2-clause"),
    "python3-notebook": ("BSD-3-clause", "*", "BSD-3-clause"),
    # not machine-readable: the file must hold this MIT licence's grant and no GPL (its other notices are X11/HPND)
    "xkb-data": ("MIT", None, "Permission is hereby granted, free of charge"),
    # everyday text for the tokenizer only (everyday.py): WordNet glosses, jieba's word frequencies
    "wordnet-base": ("WordNet3.0", "*", "WordNet3.0"),
    "python3-jieba": ("Expat", "*", "Expat"),
}
# npm package -> (version, licence, a line its LICENSE file must hold (None: the package ships none, so
# package.json's "license" alone), the package's paths that are unpacked)
NPM = {
    "monaco-editor": ("0.57.0", "MIT", "The MIT License (MIT)", ["esm"]),
    "typescript": ("5.9.3", "Apache-2.0", "Apache License", ["lib/typescript.js", "lib/zh-cn"]),
    "@node-red/editor-client": ("5.0.7", "Apache-2.0", "Apache License", ["locales"]),
    "@node-red/nodes": ("5.0.7", "Apache-2.0", "Apache License", ["locales"]),
    "@node-red/runtime": ("5.0.7", "Apache-2.0", "Apache License", ["locales"]),
    "@excalidraw/excalidraw": ("0.18.1", "MIT", None, ["dist/prod"]),
    "@ag-grid-community/locale": ("36.2.0", "MIT", "The MIT License", ["dist/package"]),
    "cldr-annotations-full": ("48.2.0", "Unicode-3.0", "UNICODE LICENSE V3", ["annotations/en", "annotations/zh"]),
    "cldr-annotations-derived-full": ("48.2.0", "Unicode-3.0", "UNICODE LICENSE V3",
                                      ["annotationsDerived/en", "annotationsDerived/zh"]),
}
PERMISSIVE = {"MPL-2.0", "BSD-3-clause", "BSD-3-Clause", "BSD-2-clause", "MIT", "Expat", "Apache-2.0", "Unicode-3.0",
              "WordNet3.0", "PostgreSQL"}

# Out-of-domain test source: never in train/dev/test, written to work/data/ood.jsonl.
OOD_KINDS = {"monaco"}
KINDS = ["chromium", "firefox", "thunderbird", "monaco"] + npm_sources.KINDS + gettext_sources.KINDS

CHROMIUM = "usr/lib/chromium/locales"
MOZILLA = {
    "firefox": ("usr/lib/firefox-esr/browser/extensions/langpack-zh-CN@firefox-esr.mozilla.org.xpi",
                {"browser/": "usr/lib/firefox-esr/browser/omni.ja", "": "usr/lib/firefox-esr/omni.ja"}),
    "thunderbird": ("usr/lib/thunderbird/extensions/langpack-zh-CN@thunderbird.mozilla.org.xpi",
                    {"": "usr/share/thunderbird/omni.ja"}),
}
MONACO = "monaco-editor/package/esm"


def npm_dir(name):
    return os.path.join("npm", name)


# ---- Chromium -----------------------------------------------------------------------------------

HTML_BODY = re.compile(r"<(?:p|h\d|ol|ul|li|div|table|script|style|html|body|head)\b", re.I)
CODE_LIKE = re.compile(r"function\s*\(|=>|;\s*$|^\s*[{\[]|\bvar\s|\bconst\s")


def _pak_info(path):
    """{resource id: (name, source .grd)} from the .pak.info the build leaves beside each pack."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            name, rid, grd = line.rstrip("\n").split(",", 2)
            out[int(rid)] = (name, grd.replace("../../", ""))
    return out


def extract_chromium(root, skipped):
    base = os.path.join(root, CHROMIUM)
    en, zh = L.pak_strings(os.path.join(base, "en-US.pak")), L.pak_strings(os.path.join(base, "zh-CN.pak"))
    info = _pak_info(os.path.join(base, "en-US.pak.info"))
    rows = []
    for rid in sorted(set(en) & set(zh)):
        name, grd = info.get(rid, (f"id{rid}", "unknown"))
        if grd.startswith("third_party/"):
            why = "third_party_grd"  # other projects' strings: kept out to keep licensing simple
        elif "locale_settings" in grd:
            why = "locale_setting"  # fonts, sizes, not sentences
        elif HTML_BODY.search(en[rid]) or CODE_LIKE.search(en[rid]):
            why = "html_or_code"
        else:
            why = None
        if why:
            skipped[why] = skipped.get(why, 0) + 1
            continue
        group = os.path.basename(grd) + "#" + "_".join(name.split("_")[:3])
        rows.append({"en": en[rid], "zh": zh[rid], "src": "chromium:" + group})
    return rows


# ---- Firefox / Thunderbird ----------------------------------------------------------------------

NON_TEXT_KEY = re.compile(r"(?:^|[._-])(?:accesskey|commandkey|commandkey\d|key\d?|keycode|modifiers|width|height|"
                          r"style|size|columns|rows|cols|ch|em)$", re.I)
PARSERS = {"ftl": L.parse_ftl, "properties": L.parse_properties, "dtd": L.parse_dtd}


def _plural_properties(en, zh):
    """`#1 tab;#1 tabs` style plural lists: English 'other' form against the one Chinese form."""
    e, z = en.split(";"), zh.split(";")
    if len(e) > 1 and len(z) == 1:
        return e[-1], zh
    if len(e) == len(z) > 1:
        return e[-1], z[-1]
    return en, zh


def _archive_defs(zf, ext):
    """Terms (-brand-name) of every .ftl, or entities of the branding .dtd files, of one archive."""
    defs = {}
    for n in zf.namelist():
        if n.endswith(".ftl") and ext == "ftl":
            defs.update({k: v for k, v in L.parse_ftl(zf.read(n).decode("utf-8")).items() if k.startswith("-")})
        elif n.endswith(".dtd") and ext == "dtd" and "branding" in n:
            defs.update(L.parse_dtd(zf.read(n).decode("utf-8")))
    return defs


def extract_mozilla(root, kind, skipped):
    xpi, en_archives = MOZILLA[kind]
    zh_zip = zipfile.ZipFile(os.path.join(root, xpi))
    en_zips = {pre: zipfile.ZipFile(os.path.join(root, p)) for pre, p in en_archives.items()}
    defs = {}
    for ext in ("ftl", "dtd"):
        defs[("zh", ext)] = _archive_defs(zh_zip, ext)
        defs[("en", ext)] = {k: v for z in en_zips.values() for k, v in _archive_defs(z, ext).items()}
    rows = []
    for name in sorted(zh_zip.namelist()):
        ext = name.rsplit(".", 1)[-1]
        if ext not in PARSERS:
            continue
        pre = next(p for p in sorted(en_zips, key=len, reverse=True) if name.startswith(p))
        en_name = name[len(pre):].replace("zh-CN", "en-US")
        if en_name not in en_zips[pre].NameToInfo:
            skipped["no_en_file"] = skipped.get("no_en_file", 0) + 1
            continue
        zh_d = PARSERS[ext](zh_zip.read(name).decode("utf-8"))
        en_d = PARSERS[ext](en_zips[pre].read(en_name).decode("utf-8"))
        for key, en in en_d.items():
            if key not in zh_d or key.startswith("-"):
                continue  # untranslated here, or a term (used through the messages that reference it)
            if NON_TEXT_KEY.search(key):
                skipped["non_text_key"] = skipped.get("non_text_key", 0) + 1
                continue
            zh = zh_d[key]
            if ext == "ftl":
                en = L.resolve_ftl(en, {**defs[("en", "ftl")], **en_d})
                zh = L.resolve_ftl(zh, {**defs[("zh", "ftl")], **zh_d})
            elif ext == "dtd":
                en, zh = L.resolve_dtd(en, defs[("en", "dtd")]), L.resolve_dtd(zh, defs[("zh", "dtd")])
            else:
                en, zh = _plural_properties(en, zh)
            if HTML_BODY.search(en):
                skipped["html_or_code"] = skipped.get("html_or_code", 0) + 1
                continue
            rows.append({"en": en, "zh": zh, "src": f"{kind}:{en_name}"})
    return rows


# ---- monaco-editor ------------------------------------------------------------------------------

LOCALIZE = re.compile(r"\blocalize2?\(\s*(\d+)\s*,\s*(" + L.JS_STRING + ")")


def extract_monaco(work_dir, skipped):
    """English from the `localize(index, "English")` calls of the ESM build, Chinese by index."""
    base = os.path.join(work_dir, npm_dir(MONACO))
    en = {}
    for path in sorted(glob.glob(os.path.join(base, "vs", "**", "*.js"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            for m in LOCALIZE.finditer(f.read()):
                en.setdefault(int(m.group(1)), L.js_unquote(m.group(2)))
    with open(os.path.join(base, "vs", "nls", "lang", "zh-cn.js"), encoding="utf-8") as f:
        zh = json.loads(re.search(r"_VSCODE_NLS_MESSAGES=(\[.*?\]);", f.read(), re.S).group(1))
    skipped["no_en_call"] = len(set(range(len(zh))) - set(en))
    skipped["no_zh"] = sum(1 for i in en if i >= len(zh) or zh[i] is None)  # null: not translated
    return [{"en": en[i], "zh": zh[i], "src": f"monaco:{i}"} for i in sorted(en) if i < len(zh) and zh[i] is not None]


def extract_all(root, work_dir):
    """(rows, {kind: {skip reason: count}}) for every extra source."""
    skipped = {k: {} for k in KINDS}
    rows = extract_chromium(root, skipped["chromium"])
    for kind in ("firefox", "thunderbird"):
        rows += extract_mozilla(root, kind, skipped[kind])
    rows += extract_monaco(work_dir, skipped["monaco"])
    rows += npm_sources.extract_all(work_dir, skipped)
    rows += gettext_sources.extract_all(root)
    return rows, skipped


# ---- cleaning -----------------------------------------------------------------------------------

ICU_START = re.compile(r"\{\s*(\w+)\s*,\s*(plural|select|selectordinal)\s*,")
# HTML markup of the Chromium/Mozilla strings; other <...> are literal text (`the SVG <%S> element`)
INLINE_TAG = re.compile(r"</?(?:a|b|i|u|em|strong|span|code|ph|small|sup|sub|img|br|link|abbr|kbd|q|time|label)"
                        r"(?:\s[^<>]*)?/?>|<[\w-]+\s[^<>]*data-l10n-name=[^<>]*>", re.I)
ZH_MNEMONIC = re.compile(r"\s*[(（]&{1,2}[A-Za-z0-9][)）]")
MNEMONIC = re.compile(r"&{1,2}(?![A-Za-z]+;|#\d+;)(?=[^\W_])")
FTL_FUNC = re.compile(r"\{\s*[A-Z]+\(\s*\$([\w-]+)[^{}]*\)\s*\}")  # { NUMBER($n, ...) }
FTL_VAR = re.compile(r"\{\s*\$([\w-]+)\s*\}")
PH = re.compile(r"\$\d+|%(?:\d+\$)?[SsDdUu@]|%\d+|\{ \$[\w-]+ \}|\{\w+\}|#\d+")


def _balanced(text, i):
    """Index after the '}' closing the '{' at text[i], or -1."""
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return j + 1
    return -1


def icu_other(text):
    """ICU plural/select messages -> their `other` case ('#' becomes {VAR}); None if malformed."""
    while True:
        m = ICU_START.search(text)
        if not m:
            return text
        i, cases = m.end(), {}
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                return None
            if text[i] == "}":
                break
            b = text.find("{", i)
            end = _balanced(text, b) if b >= 0 else -1
            if end < 0:
                return None
            sel = text[i:b].split()
            cases[sel[-1] if sel else ""] = text[b + 1:end - 1]
            i = end
        body = cases.get("other", list(cases.values())[-1] if cases else "")
        if m.group(2) == "plural":
            body = re.sub(r"(?<![\w&])#(?![\w;])", "{" + m.group(1) + "}", body)
        text = text[:m.start()] + body + text[i + 1:]


def clean(text, lang, kind):
    """Markup, access keys and Fluent placeable spacing removed/normalised; None when unusable."""
    if kind == "chromium":
        text = icu_other(text)
        if text is None:
            return None
    if kind != "monaco":  # monaco's messages are Markdown: `(?<name>...)` is text there
        text = INLINE_TAG.sub(lambda m: " " if m.group(0)[1:3].lower() == "br" else "", text)
    if lang == "zh":
        text = ZH_MNEMONIC.sub("", text)
    text = MNEMONIC.sub("", text).replace("&&", "&")
    text = html.unescape(text)
    text = FTL_VAR.sub(r"{ $\1 }", FTL_FUNC.sub(r"{ $\1 }", text))
    return text


def placeholders(text):
    return sorted(PH.findall(text))
