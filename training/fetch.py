"""Stage `fetch`: download the three MPL-2.0 LibreOffice packages from Debian and unpack them.

Uses `apt-get download` + `dpkg -x` (no installation). Records the exact package versions
in work/packages.json for the model card.
"""
import glob
import json
import os
import subprocess

from common import PACKAGES, work


def run():
    debs = work("debs")
    root = work("root")
    os.makedirs(debs, exist_ok=True)
    missing = [p for p in PACKAGES if not glob.glob(os.path.join(debs, p + "_*.deb"))]
    if missing:
        subprocess.run(["apt-get", "download"] + missing, cwd=debs, check=True)
    versions = {}
    for p in PACKAGES:
        deb = sorted(glob.glob(os.path.join(debs, p + "_*.deb")))[-1]
        fields = {}
        for key in ("Package", "Version", "Architecture"):
            out = subprocess.run(["dpkg-deb", "-f", deb, key], capture_output=True, text=True, check=True)
            fields[key.lower()] = out.stdout.strip()
        fields["file"] = os.path.basename(deb)
        fields["licence"] = "MPL-2.0"
        versions[p] = fields
        subprocess.run(["dpkg", "-x", deb, root], check=True)
    with open(work("packages.json"), "w") as f:
        json.dump(versions, f, indent=2)
    for p, v in versions.items():
        print(f"fetch: {p} {v['version']}")


if __name__ == "__main__":
    run()
