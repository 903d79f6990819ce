"""Developer tools' gettext catalogs from permissively licensed Debian packages: PostgreSQL's server and
client messages, Django, Sphinx, the Jupyter Notebook and xkeyboard-config's keyboard layout names.

fetch.py unpacks and licence-checks the packages (sources.DEBIAN); prepare.py takes the rows.
Rows are {"en": msgid, "zh": msgstr, "src": "<kind>:<catalog>#<block>"}: a catalog's messages come
sorted by msgid, so blocks of BLOCK neighbours (which share wording) go to the same split together.
"""
import gettext
import glob
import json
import os

BLOCK = 50
SITE = "usr/lib/python3/dist-packages"
# kind -> globs under work/root of the zh_CN (Django: zh_Hans) catalogs
CATALOGS = {
    "postgresql": ["usr/share/locale/zh_CN/LC_MESSAGES/*-15.mo"],
    "django": [f"{SITE}/django/conf/locale/zh_Hans/LC_MESSAGES/django.mo",
               f"{SITE}/django/contrib/*/locale/zh_Hans/LC_MESSAGES/django*.mo"],
    "sphinx": ["usr/share/locale/zh_CN/LC_MESSAGES/sphinx.mo"],
    "notebook": [f"{SITE}/notebook/i18n/zh_CN/LC_MESSAGES/*.mo",
                 f"{SITE}/notebook/i18n/zh_CN/LC_MESSAGES/nbjs.json"],  # the browser UI's messages (Jed JSON)
    "xkb": ["usr/share/locale/zh_CN/LC_MESSAGES/xkeyboard-config.mo"],
}
KINDS = list(CATALOGS)


def _messages(path):
    """(msgid, msgstr) of singular, translated entries; msgctxt dropped."""
    if path.endswith(".json"):
        data = json.load(open(path, encoding="utf-8"))["locale_data"]
        entries = {k: v[0] if isinstance(v, list) and v else None for d in data.values() for k, v in d.items()}
    else:
        with open(path, "rb") as f:
            entries = gettext.GNUTranslations(f)._catalog
    for key, zh in entries.items():
        if isinstance(key, str) and key and isinstance(zh, str) and zh:  # skips the header and plural forms
            yield key.split("\x04", 1)[-1], zh


def extract_all(root, skipped):
    rows = []
    for kind, patterns in CATALOGS.items():
        paths = sorted({p for pat in patterns for p in glob.glob(os.path.join(root, pat))})
        if not paths:
            raise SystemExit(f"prepare: no {kind} catalogs under {root} (run the fetch stage)")
        for path in paths:
            name = os.path.relpath(path, root).replace("/LC_MESSAGES/", "/")
            for i, (en, zh) in enumerate(sorted(_messages(path))):
                rows.append({"en": en, "zh": zh, "src": f"{kind}:{name}#{i // BLOCK}"})
    return rows
