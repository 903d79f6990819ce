"""Developer tools' gettext catalogs from permissively licensed Debian packages: PostgreSQL's server and
client messages, Django, Sphinx, the Jupyter Notebook and xkeyboard-config's keyboard layout names.

fetch.py unpacks and licence-checks the packages (sources.DEBIAN); prepare.py takes the rows.
Rows are {"en": msgid, "zh": msgstr, "src": "<kind>:<catalog>#<block>"}: a catalog's messages come
sorted by msgid, so blocks of BLOCK neighbours (which share wording) go to the same split together.
"""
import glob
import os

import l10n_formats as L

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


def extract_all(root):
    rows = []
    for kind, patterns in CATALOGS.items():
        paths = sorted({p for pat in patterns for p in glob.glob(os.path.join(root, pat))})
        if not paths:
            raise SystemExit(f"prepare: no {kind} catalogs under {root} (run the fetch stage)")
        for path in paths:
            name = os.path.relpath(path, root).replace("/LC_MESSAGES/", "/")
            read = L.jed_messages if path.endswith(".json") else L.mo_messages
            translated = sorted((en, zh) for en, zh in read(path) if zh)  # blocks count translated entries only
            for i, (en, zh) in enumerate(translated):
                rows.append({"en": en, "zh": zh, "src": f"{kind}:{name}#{i // BLOCK}"})
    return rows
