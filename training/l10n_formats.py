"""Readers for the localisation file formats used by the extra sources (no third-party parsers).

  * Chromium .pak (grit data pack, versions 4 and 5): {resource id: bytes};
  * Mozilla Fluent .ftl: {message id or id.attribute: text}, select expressions resolved to their
    default variant; resolve_ftl() substitutes term/message references the bundle defines;
  * Java-style .properties and XML .dtd entity files (Mozilla's older string formats);
  * JavaScript string literals (monaco-editor's message bundles);
  * gettext: compiled .mo catalogs and their Jed JSON form (msgid -> msgstr).
"""
import gettext
import json
import re
import struct

PAK_ENCODINGS = {0: None, 1: "utf-8", 2: "utf-16-le"}  # 0 = binary pack


def read_pak(path):
    """Returns (encoding, {id: bytes}); aliases (v5) point at the same bytes as their target."""
    with open(path, "rb") as f:
        data = f.read()
    version = struct.unpack_from("<I", data, 0)[0]
    if version == 4:
        count, enc = struct.unpack_from("<IB", data, 4)
        pos, aliases = 9, 0
    elif version == 5:
        enc, count, aliases = struct.unpack_from("<B3xHH", data, 4)
        pos = 12
    else:
        raise ValueError(f"{path}: unsupported pak version {version}")
    entries = [struct.unpack_from("<HI", data, pos + 6 * i) for i in range(count + 1)]  # +1: end sentinel
    res = {rid: data[off:entries[i + 1][1]] for i, (rid, off) in enumerate(entries[:-1])}
    apos = pos + 6 * (count + 1)
    for i in range(aliases):
        rid, index = struct.unpack_from("<HH", data, apos + 4 * i)
        res[rid] = res[entries[index][0]]
    return PAK_ENCODINGS.get(enc, None), res


def pak_strings(path):
    """{id: str} for every resource that decodes as text in the pack's declared encoding."""
    enc, res = read_pak(path)
    if enc is None:
        return {}
    out = {}
    for rid, raw in res.items():
        try:
            out[rid] = raw.decode(enc)
        except UnicodeDecodeError:
            continue  # binary resource
    return out


# ---- Fluent -------------------------------------------------------------------------------------

FTL_ENTRY = re.compile(r"^(-?[A-Za-z][\w-]*)\s*=\s?(.*)$")
FTL_ATTR = re.compile(r"^\s+\.([A-Za-z][\w-]*)\s*=\s?(.*)$")
FTL_VARIANT = re.compile(r"^\s*(\*?)\[([^\]]+)\]\s?(.*)$", re.S)


def _ftl_blocks(text):
    """Yields (id, attribute or None, raw value lines) for every message, term and attribute."""
    cur = None
    for line in text.splitlines():
        if line.startswith("#"):  # a comment ends the entry before it
            if cur:
                yield cur
            cur = None
            continue
        if not line.strip() and cur is None:
            continue
        m = FTL_ENTRY.match(line)
        if m:
            if cur:
                yield cur
            cur = (m.group(1), None, [m.group(2)])
            continue
        m = FTL_ATTR.match(line)
        if m and cur:
            yield cur
            cur = (cur[0], m.group(1), [m.group(2)])
            continue
        if cur and (line[:1] in (" ", "\t", "}", "[", "*") or not line.strip()):
            cur[2].append(line)  # indented continuation, or select syntax Fluent allows in column 0
    if cur:
        yield cur


def _dedent(lines):
    body = [l for l in lines[1:] if l.strip()]
    indent = min((len(l) - len(l.lstrip()) for l in body), default=0)
    first = [lines[0]] if lines[0].strip() else []
    return "\n".join(first + [l[indent:] for l in lines[1:]]).strip()


def _resolve_selects(value):
    """Replaces each `{ $x -> [a] .. *[b] text }` by its default variant's text (innermost first)."""
    while True:
        m = re.search(r"\{[^{}]*->", value)
        if not m:
            return value
        depth, i = 1, m.end()
        while i < len(value) and depth:
            depth += {"{": 1, "}": -1}.get(value[i], 0)
            i += 1
        if depth:
            return value  # unbalanced: left as is (the placeholder check drops it if it differs)
        body = value[m.end():i - 1]
        parts = re.split(r"\n\s*(?=\*?\[)", "\n" + body)
        default = ""
        for p in parts:
            v = FTL_VARIANT.match(p.strip("\n"))
            if v and (v.group(1) or not default):
                default = v.group(3)
                if v.group(1):
                    break
        value = value[:m.start()] + default.strip() + value[i:]


def parse_ftl(text):
    """{id or id.attr: value}; terms (-brand-name) are returned too and substituted into messages."""
    raw = {}
    for mid, attr, lines in _ftl_blocks(text):
        value = _resolve_selects(_dedent(lines))
        raw[mid if attr is None else f"{mid}.{attr}"] = value
    return raw


FTL_REF = re.compile(r"\{\s*(-?[A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*)?)\s*(?:\([^)]*\))?\s*\}")
FTL_LITERAL = re.compile(r"\{\s*\"((?:[^\"\\]|\\.)*)\"\s*\}")


def resolve_ftl(value, defs, depth=0):
    """Substitutes term/message references and string literals; variables ({ $x }) stay."""
    value = FTL_LITERAL.sub(lambda m: m.group(1).replace('\\"', '"').replace("\\\\", "\\"), value)

    def ref(m):
        key = m.group(1)
        if key in defs and depth < 4:
            return resolve_ftl(defs[key], defs, depth + 1)
        return m.group(0)
    return FTL_REF.sub(ref, value)


# ---- .properties and .dtd -----------------------------------------------------------------------

def parse_properties(text):
    out, pending = {}, ""
    for line in text.splitlines():
        line = pending + line.lstrip() if pending else line.strip()
        pending = ""
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        if not line or line[0] in "#!":
            continue
        m = re.match(r"((?:[^=:\s\\]|\\.)+)\s*[=:]?\s*(.*)$", line)
        if m:
            out[m.group(1)] = _unescape_properties(m.group(2))
    return out


def _unescape_properties(v):
    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "u"
                  and len(m.group(1)) == 5 else {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), v)


DTD_ENTITY = re.compile(r"<!ENTITY\s+([\w.-]+)\s+(\"[^\"]*\"|'[^']*')\s*>", re.S)


def parse_dtd(text):
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return {m.group(1): m.group(2)[1:-1] for m in DTD_ENTITY.finditer(text)}


def resolve_dtd(value, defs):
    """Replaces &name; by other entities' values (brand names), leaves XML character entities."""
    return re.sub(r"&([\w.-]+);", lambda m: defs.get(m.group(1), m.group(0)), value)


# ---- JavaScript string literals -----------------------------------------------------------------

JS_STRING = r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\$]|\\.)*`"
_JS_ESC = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def js_unquote(lit):
    """Value of one JavaScript string literal (quotes included in `lit`)."""
    def esc(m):
        s = m.group(1)
        if s[0] == "u":
            return chr(int(s[2:-1] if s[1] == "{" else s[1:], 16))
        if s[0] == "x":
            return chr(int(s[1:], 16))
        return _JS_ESC.get(s, s)
    text = re.sub(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", esc, lit[1:-1], flags=re.S)
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")  # join \ud83d\ude00 pairs


def mo_messages(path):
    """(msgid, msgstr) of a compiled gettext catalog's singular entries, in the catalog's order; msgctxt
    dropped, the header and plural forms skipped, untranslated (empty) entries kept for the filters to count."""
    with open(path, "rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    for key, zh in catalog.items():
        if isinstance(key, str) and key and isinstance(zh, str):
            yield key.split("\x04", 1)[-1], zh


def jed_messages(path):
    """The same for a catalog in Jed's JSON form ({"locale_data": {domain: {msgid: [msgstr, ...]}}})."""
    with open(path, encoding="utf-8") as f:
        domains = json.load(f)["locale_data"]
    for messages in domains.values():
        for key, value in messages.items():
            if key and isinstance(value, list) and value and isinstance(value[0], str):
                yield key.split("\x04", 1)[-1], value[0]
