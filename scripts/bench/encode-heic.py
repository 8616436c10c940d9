"""Encodes a PNG as HEIC for the benchmark (sharp cannot write HEIC): encode-heic.py <png> <heic> <quality>.

Runs in the bench venv (requirements-bench.txt: pillow-heif, which bundles libheif with x265, 4:2:0).
"""
import sys

import pillow_heif
from PIL import Image

source, destination, quality = sys.argv[1], sys.argv[2], int(sys.argv[3])
with Image.open(source) as image:
    heif = pillow_heif.from_pillow(image.convert("RGB"))
    heif.save(destination, quality=quality)
