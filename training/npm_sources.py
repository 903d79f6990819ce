"""Software and everyday-vocabulary translations from npm packages: TypeScript, Node-RED, excalidraw,
AG Grid, Unicode CLDR emoji names.

fetch.py downloads and licence-checks them (sources.NPM); prepare.py calls extract_all() through
sources.extract_all(). Rows are {"en", "zh", "src": "<kind>:<group>"}; the group decides the split.
"""
import json
import os
import re
import subprocess

import l10n_formats as L

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ["typescript", "nodered", "excalidraw", "aggrid", "cldr"]
TS_DIAG = re.compile(r"\bdiag\(\s*(\d+)\s*,\s*\d+\s*(?:/\*[^*]*\*/)?\s*,\s*\"(\w+)\"\s*,\s*(" + L.JS_STRING + ")")
I18NEXT_VAR = re.compile(r"__(\w+)__")     # Node-RED's i18next placeholders
I18NEXT_NESTED = re.compile(r"\$t\(|\{\{")  # references to other messages: not a sentence on its own


def _pkg(work_dir, name, *rel):
    return os.path.join(work_dir, "npm", name, "package", *rel)


def _dump(path, export=None):
    """Flat {key: text} of a built JavaScript locale module, read by Node (dump_locale.mjs)."""
    out = subprocess.run(["node", os.path.join(HERE, "dump_locale.mjs"), path] + ([export] if export else []),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _flat_json(path):
    def walk(obj, prefix):
        for k, v in obj.items():
            if isinstance(v, str):
                yield prefix + k, v
            elif isinstance(v, dict):
                yield from walk(v, prefix + k + ".")
    with open(path, encoding="utf-8") as f:
        return dict(walk(json.load(f), ""))


def _pairs(en, zh, kind, group_of, skipped):
    """Rows for the keys both sides have; group_of(key) names the split group."""
    rows = []
    for key, text in en.items():
        if key not in zh:
            skipped["no_zh"] = skipped.get("no_zh", 0) + 1
            continue
        rows.append({"en": text, "zh": zh[key], "src": f"{kind}:{group_of(key)}"})
    return rows


def extract_typescript(work_dir, skipped):
    """Compiler diagnostics: English from the `diag(code, category, key, "text")` table, Chinese by key."""
    with open(_pkg(work_dir, "typescript", "lib", "typescript.js"), encoding="utf-8") as f:
        en = {m.group(2): (int(m.group(1)), L.js_unquote(m.group(3))) for m in TS_DIAG.finditer(f.read())}
    with open(_pkg(work_dir, "typescript", "lib", "zh-cn", "diagnosticMessages.generated.json"), encoding="utf-8") as f:
        zh = json.load(f)
    # a group is a block of 20 codes: neighbouring codes are variants of one message
    return _pairs({k: t for k, (_, t) in en.items()}, zh, "typescript",
                  lambda k: str(en[k][0] // 20), skipped)


NODE_RED = {"@node-red/editor-client": ["editor.json", "jsonata.json", "infotips.json"],
            "@node-red/nodes": ["messages.json"], "@node-red/runtime": ["runtime.json"]}


def extract_nodered(work_dir, skipped):
    """Node-RED's editor, node and runtime message catalogs (en-US against zh-CN by key path)."""
    rows = []
    for pkg, files in NODE_RED.items():
        for name in files:
            en = _flat_json(_pkg(work_dir, pkg, "locales", "en-US", name))
            zh = _flat_json(_pkg(work_dir, pkg, "locales", "zh-CN", name))
            for key in list(en):
                if I18NEXT_NESTED.search(en[key]):
                    skipped["nested_reference"] = skipped.get("nested_reference", 0) + 1
                    del en[key]
            rows += _pairs(en, zh, "nodered", lambda k: f"{name}#{'.'.join(k.split('.')[:2])}", skipped)
    for r in rows:
        r["en"], r["zh"] = I18NEXT_VAR.sub(r"{\1}", r["en"]), I18NEXT_VAR.sub(r"{\1}", r["zh"])
    return rows


def _locale_file(work_dir, pkg, folder, prefix):
    base = _pkg(work_dir, pkg, *folder.split("/"))
    names = [n for n in sorted(os.listdir(base)) if n.startswith(prefix + "-") and n.endswith(".js")]
    if len(names) != 1:
        raise SystemExit(f"prepare: {pkg}: expected one {folder}/{prefix}-*.js, found {names}")
    return os.path.join(base, names[0])


def extract_excalidraw(work_dir, skipped):
    pkg = "@excalidraw/excalidraw"
    en = _dump(_locale_file(work_dir, pkg, "dist/prod/locales", "en"))
    zh = _dump(_locale_file(work_dir, pkg, "dist/prod/locales", "zh-CN"))
    return _pairs(en, zh, "excalidraw", lambda k: k.split(".")[0], skipped)


def extract_aggrid(work_dir, skipped):
    path = _pkg(work_dir, "@ag-grid-community/locale", "dist", "package", "main.cjs.js")
    en, zh = _dump(path, "AG_GRID_LOCALE_EN"), _dump(path, "AG_GRID_LOCALE_CN")
    # keys are camelCase phrases; the first word groups a feature's messages (advancedFilter…, chart…)
    return _pairs(en, zh, "aggrid", lambda k: re.match(r"[A-Za-z]?[a-z0-9]*", k).group(0), skipped)


def _annotations(work_dir, pkg, sub, lang):
    with open(_pkg(work_dir, pkg, sub, lang, "annotations.json"), encoding="utf-8") as f:
        return {ch: a["tts"][0] for ch, a in json.load(f)[sub]["annotations"].items() if a.get("tts")}


def extract_cldr(work_dir, skipped):
    """Emoji names (everyday nouns and phrases: 'cat face' 猫脸) and, from the derived set, country names."""
    base = ("cldr-annotations-full", "annotations")
    rows = _pairs(_annotations(work_dir, *base, "en"), _annotations(work_dir, *base, "zh"), "cldr",
                  lambda ch: f"emoji-{ord(ch[0]) >> 4:x}", skipped)
    derived = ("cldr-annotations-derived-full", "annotationsDerived")
    en, zh = _annotations(work_dir, *derived, "en"), _annotations(work_dir, *derived, "zh")
    flags = {}
    for ch, name in en.items():  # "flag: Ukraine" / "旗: 乌克兰"; skin-tone variants repeat their base name
        if name.startswith("flag: ") and ch in zh and re.match(r"旗\s*[:：]\s*", zh[ch]):
            flags[ch] = (name[6:], re.sub(r"^旗\s*[:：]\s*", "", zh[ch]))
    skipped["derived_not_flag"] = len(en) - len(flags)
    rows += [{"en": e, "zh": z, "src": f"cldr:flag-{ord(ch[0]) >> 4:x}"} for ch, (e, z) in flags.items()]
    return rows


EXTRACTORS = {"typescript": extract_typescript, "nodered": extract_nodered, "excalidraw": extract_excalidraw,
              "aggrid": extract_aggrid, "cldr": extract_cldr}


def extract_all(work_dir, skipped):
    rows = []
    for kind in KINDS:
        rows += EXTRACTORS[kind](work_dir, skipped.setdefault(kind, {}))
    return rows
