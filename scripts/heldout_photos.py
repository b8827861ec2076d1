"""Cuts the held-apart world's scenery photographs out of Debian's wallpaper
packages into internal/heldout/testdata/photos (a tool: `make heldout-photos`;
its small outputs are committed, CI never runs it).

The held-apart world (internal/heldout) paints its skies, water, floors and
grass from these crops, so that plain regions differ as photographs do. Each
crop is a box of a photograph, given as fractions of its width and height,
chosen by eye to hold one kind of scenery and nothing else (no kite, no pier
post, no reeds), resized so that its shorter side is 400 to 640 pixels (the
world's canvas is 384) and cut to 1280 along the longer, saved as JPEG
quality 90. The packages are pinned by checksum; nothing is installed
system-wide.

usage: scripts/heldout_photos.py OUTDIR
"""

import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.request

from PIL import Image

POOL = "http://deb.debian.org/debian/pool/main/"
PACKAGES = {
    # KDE Plasma 5.27's wallpapers: each photograph's metadata.json says
    # LGPLv3 and its author; Debian's copyright file says GPL-2+.
    "plasma": ("p/plasma-workspace-wallpapers/plasma-workspace-wallpapers_5.27.5-2_all.deb",
               "32cd18b71c8c938a18b3b351f217c02ac590e323caa3cf322fbb875ce8892f8b",
               "usr/share/wallpapers/{}/contents/images/2560x1600.jpg"),
    # MATE's backgrounds, GPL-2+ (Debian's copyright file names each author).
    "mate": ("m/mate-backgrounds/mate-backgrounds_1.26.0-1_all.deb",
             "7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04",
             "usr/share/backgrounds/mate/nature/{}.jpg"),
}

# name: (package, photograph, (left, top, right, bottom) as fractions)
CROPS = {
    "sky-kite": ("plasma", "Kite", (0.0, 0.0, 0.58, 1.0)),  # clear blue, clouds; left of the kite
    "sky-dusk-blue": ("plasma", "DarkestHour", (0.0, 0.0, 1.0, 0.55)),  # above the treeline
    "sky-storm": ("mate", "Storm", (0.0, 0.0, 1.0, 0.55)),  # above the land
    "sky-fog": ("plasma", "ColdRipple", (0.0, 0.0, 1.0, 0.40)),  # above the pier's posts
    "sky-dusk-pink": ("plasma", "summer_1am", (0.0, 0.30, 1.0, 0.60)),  # above the far shore
    "water-dusk-blue": ("plasma", "DarkestHour", (0.0, 0.74, 1.0, 1.0)),  # below the reflections
    "water-dusk-purple": ("plasma", "summer_1am", (0.0, 0.80, 1.0, 1.0)),  # below the reeds
    "floor-pier": ("plasma", "ColdRipple", (0.05, 0.72, 0.95, 1.0)),  # the pier's boards
    "floor-wood": ("mate", "Wood", (0.0, 0.0, 1.0, 1.0)),  # boards, tinted by the world
    "grass-meadow": ("mate", "GreenMeadow", (0.0, 0.0, 1.0, 1.0)),
    "grass-forest": ("plasma", "Path", (0.35, 0.70, 1.0, 1.0)),  # right of the path
}

MIN_SIDE = 400
MAX_SIDE = 640
LONG_SIDE = 1280


def fetch(tmp, key):
    path, digest, _ = PACKAGES[key]
    deb = os.path.join(tmp, os.path.basename(path))
    print(f"heldout-photos: fetching {POOL}{path}", flush=True)
    with urllib.request.urlopen(POOL + path) as r, open(deb, "wb") as f:
        f.write(r.read())
    with open(deb, "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    if got != digest:
        sys.exit(f"heldout-photos: checksum mismatch for {path}: {got}")
    root = os.path.join(tmp, key)
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    return root


def main(out):
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        roots = {k: fetch(tmp, k) for k in PACKAGES}
        for name, (pkg, photo, (l, t, r, b)) in CROPS.items():
            src = Image.open(os.path.join(roots[pkg], PACKAGES[pkg][2].format(photo))).convert("RGB")
            w, h = src.size
            box = src.crop((round(l * w), round(t * h), round(r * w), round(b * h)))
            bw, bh = box.size
            # The shorter side MIN_SIDE to MAX_SIDE, the aspect kept; a longer
            # side past LONG_SIDE is cut to it about the middle (never squeezed).
            s = max(MIN_SIDE, min(min(bw, bh), MAX_SIDE)) / min(bw, bh)
            box = box.resize((round(bw * s), round(bh * s)), Image.LANCZOS)
            bw, bh = box.size
            cw, ch = min(bw, LONG_SIDE), min(bh, LONG_SIDE)
            box = box.crop(((bw - cw) // 2, (bh - ch) // 2, (bw - cw) // 2 + cw, (bh - ch) // 2 + ch))
            dst = os.path.join(out, name + ".jpg")
            box.save(dst, quality=90)
            print(f"heldout-photos: {dst} {box.size[0]}x{box.size[1]} from {photo}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
