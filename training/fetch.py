"""Stage `fetch`: download the openly licensed translation sources and unpack them.

Debian packages (sources.DEBIAN: LibreOffice, Chromium, Firefox ESR, Thunderbird, developer tools): `apt-get download`
+ `dpkg -x` (no installation) into work/root. npm packages (sources.NPM: monaco-editor, TypeScript,
Node-RED, excalidraw, AG Grid, CLDR): `npm pack` + tar of their message files into work/npm. Each
package's licence is read from its Debian copyright file (the Files: stanza that covers its strings)
or its LICENSE and package.json, and must match the expected, permissive one. Versions and
licences go to work/packages.json for the model card.
"""
import glob
import hashlib
import json
import os
import re
import subprocess

from common import PACKAGES, work
from sources import DEBIAN, NPM, PERMISSIVE, npm_dir

DEB_PACKAGES = PACKAGES + [p for p in DEBIAN if p not in PACKAGES]


def copyright_licence(root, package, files):
    """License: of the DEP-5 stanza whose Files: lists `files`, from usr/share/doc/<package>/copyright."""
    with open(os.path.join(root, "usr/share/doc", package, "copyright"), encoding="utf-8") as f:
        for para in re.split(r"\n\s*\n", f.read()):
            m = re.search(r"^Files:(.*?)(?=^\S|\Z)", para, re.S | re.M)
            lic = re.search(r"^License:\s*(.+)$", para, re.M)
            if m and lic and files in m.group(1).split():
                return lic.group(1).strip()
    return None


def grants_without_gpl(root, package, grant):
    """For a copyright file that is not machine-readable: it holds the line `grant` and names no GPL."""
    with open(os.path.join(root, "usr/share/doc", package, "copyright"), encoding="utf-8") as f:
        text = " ".join(f.read().split())
    return grant in text and "General Public License" not in text


def check_licence(name, used, found, expected):
    if found != expected:
        raise SystemExit(f"fetch: {name}: licence is {found!r}, expected {expected!r}; check it before use")
    if used not in PERMISSIVE or used not in found.split(" or "):
        raise SystemExit(f"fetch: {name}: {used} is not a permissive licence offered by {found!r}")


def fetch_debian(versions):
    debs, root = work("debs"), work("root")
    os.makedirs(debs, exist_ok=True)
    missing = [p for p in DEB_PACKAGES if not glob.glob(os.path.join(debs, p + "_*.deb"))]
    if missing:
        subprocess.run(["apt-get", "download"] + missing, cwd=debs, check=True)
    for p in DEB_PACKAGES:
        deb = sorted(glob.glob(os.path.join(debs, p + "_*.deb")))[-1]
        fields = {}
        for key in ("Package", "Version", "Architecture"):
            out = subprocess.run(["dpkg-deb", "-f", deb, key], capture_output=True, text=True, check=True)
            fields[key.lower()] = out.stdout.strip()
        subprocess.run(["dpkg", "-x", deb, root], check=True)
        used, files, expected = DEBIAN[p]
        if files:
            found = copyright_licence(root, p, files)
            check_licence(p, used, found, expected)
        elif grants_without_gpl(root, p, expected):
            found = used
            check_licence(p, used, found, used)
        else:
            raise SystemExit(f"fetch: {p}: its copyright file lacks {expected!r} or names the GPL; check it before use")
        fields.update(file=os.path.basename(deb), licence=used, source="debian",
                      copyright=f"Files: {files} -> License: {found}" if files else f"copyright text holds {expected!r}, no GPL")
        versions[p] = fields


def npm_licence_text(dest):
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
        path = os.path.join(dest, "package", name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return name, f.read()
    return None, None


def fetch_npm(versions):
    for name, (version, used, licence_line, paths) in NPM.items():
        dest = work(npm_dir(name))
        tgz = work("npm", f"{name.replace('@', '').replace('/', '-')}-{version}.tgz")  # npm pack's file name
        os.makedirs(dest, exist_ok=True)
        if not os.path.exists(tgz):
            subprocess.run(["npm", "pack", f"{name}@{version}", "--pack-destination", work("npm"), "--loglevel", "error"],
                           check=True, stdout=subprocess.DEVNULL)
        # only the licence, the manifest and the message files are needed
        listing = subprocess.run(["tar", "-tzf", tgz], capture_output=True, text=True, check=True).stdout.split()
        members = ["package/package.json"] + [f"package/{p}" for p in paths]
        licences = [m for m in listing if re.fullmatch(r"package/LICEN[CS]E(\.\w+)?", m)]
        subprocess.run(["tar", "-xzf", tgz, "-C", dest] + licences + members, check=True)
        for m in members:
            if not os.path.exists(os.path.join(dest, m)):
                raise SystemExit(f"fetch: {name}@{version}: {m} is not in the package")
        with open(os.path.join(dest, "package", "package.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        if manifest["version"] != version or manifest.get("license") != used or used not in PERMISSIVE:
            raise SystemExit(f"fetch: {name}: package.json says {manifest['version']} / {manifest.get('license')}")
        file_name, text = npm_licence_text(dest)
        if licence_line is not None and (text is None or licence_line not in text):
            raise SystemExit(f"fetch: {name}: {file_name or 'no LICENSE file'} lacks {licence_line!r}; check it before use")
        with open(tgz, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        found = f"{file_name}: {licence_line}" if licence_line else f"package.json license: {used} (no LICENSE file)"
        versions[name] = {"package": name, "version": version, "architecture": "all", "file": os.path.basename(tgz),
                          "licence": used, "source": "npm", "sha256": sha, "copyright": found}


def run():
    versions = {}
    fetch_debian(versions)
    fetch_npm(versions)
    with open(work("packages.json"), "w") as f:
        json.dump(versions, f, indent=2)
    for p, v in versions.items():
        print(f"fetch: {p} {v['version']} ({v['licence']}; {v['copyright']})")


if __name__ == "__main__":
    run()
