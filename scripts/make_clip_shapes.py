"""Write a small real image-text set of coloured shapes for the CLIP benchmark (RAGEval clip_benchmark).

    python scripts/make_clip_shapes.py OUT_DIR [--per-class 4] [--size 64]

OUT_DIR/shapes_cls/  WebDataset folder (clip_benchmark's `wds/` layout): test/0.tar (NNNN.png +
                     NNNN.cls), test/nshards.txt, classnames.txt, zeroshot_classification_templates.txt,
                     dataset_type.txt -> zero-shot classification over colour+shape classes
OUT_DIR/shapes_ret/  EvalScope's custom retrieval layout: images/*.png + image_queries.jsonl
                     ({"image_path", "query": [captions]}) -> image-text retrieval

Images are drawn and PNG-encoded here with the standard library only (no Pillow needed), with a
fixed seed: the same files every run. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import struct
import tarfile
import zlib
from pathlib import Path

COLOURS = {"red": (220, 30, 30), "green": (30, 170, 60), "blue": (40, 70, 220), "yellow": (235, 210, 40)}
SHAPES = ("circle", "square", "triangle")
TEMPLATES = ("a photo of a {c}.", "a drawing of a {c}.", "a {c} on a white background.")


def _inside(shape: str, x: float, y: float, cx: float, cy: float, r: float) -> bool:
    if shape == "circle":
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    if shape == "square":
        return abs(x - cx) <= r * 0.85 and abs(y - cy) <= r * 0.85
    # triangle pointing up: inside if below the two slanted edges and above the base
    top, base = cy - r, cy + r * 0.8
    if not top <= y <= base:
        return False
    half = (y - top) / (base - top) * r
    return abs(x - cx) <= half


def draw(shape: str, colour: tuple[int, int, int], size: int, rng: random.Random) -> list[bytes]:
    """Rows of RGB pixels: a shape of `colour` at a random place and scale on a light background."""
    r = rng.uniform(size * 0.22, size * 0.36)
    cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
    shade = rng.randint(235, 255)
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            row += bytes(colour) if _inside(shape, x + 0.5, y + 0.5, cx, cy, r) else bytes((shade, shade, shade))
        rows.append(bytes(row))
    return rows


def png(rows: list[bytes]) -> bytes:
    """A minimal RGB PNG (8 bits per channel, no filter)."""
    height, width = len(rows), len(rows[0]) // 3

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def make(out: Path, per_class: int = 4, size: int = 64, seed: int = 0) -> dict[str, Path]:
    rng = random.Random(seed)
    classes = [f"{c} {s}" for c in COLOURS for s in SHAPES]
    items = []
    for label, name in enumerate(classes):
        colour, shape = name.split()
        for k in range(per_class):
            items.append((label, name, png(draw(shape, COLOURS[colour], size, rng)), k))
    rng.shuffle(items)

    cls_dir = out / "shapes_cls"
    (cls_dir / "test").mkdir(parents=True, exist_ok=True)
    with tarfile.open(cls_dir / "test" / "0.tar", "w") as tar:
        for i, (label, _name, data, _k) in enumerate(items):
            for suffix, payload in ((".png", data), (".cls", str(label).encode())):
                info = tarfile.TarInfo(f"{i:05d}{suffix}")
                info.size, info.mtime = len(payload), 0
                tar.addfile(info, io.BytesIO(payload))
    (cls_dir / "test" / "nshards.txt").write_text("1\n")
    (cls_dir / "classnames.txt").write_text("\n".join(classes) + "\n")
    (cls_dir / "zeroshot_classification_templates.txt").write_text("\n".join(TEMPLATES) + "\n")
    (cls_dir / "dataset_type.txt").write_text("classification\n")

    ret_dir = out / "shapes_ret"
    (ret_dir / "images").mkdir(parents=True, exist_ok=True)
    with open(ret_dir / "image_queries.jsonl", "w", encoding="utf-8") as f:
        for i, (_label, name, data, _k) in enumerate(items):
            path = ret_dir / "images" / f"{i:05d}.png"
            path.write_bytes(data)
            captions = [f"a {name}", f"a {name.split()[0]} {name.split()[1]} on a white background"]
            f.write(json.dumps({"image_path": f"images/{i:05d}.png", "query": captions}) + "\n")
    return {"classification": cls_dir, "retrieval": ret_dir}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--per-class", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    made = make(args.out_dir, args.per_class, args.size)
    for kind, path in made.items():
        print(f"{kind}: {path}")


if __name__ == "__main__":
    main()
