"""Benchmark: every feed preset from one large JPEG and one large PNG.

Run: ``.venv/bin/python bench/bench_renditions.py [--runs N]``

Compares, in the same run and on the same generated photo-like images:

* Plume's path: ``studio.imaging.render_presets`` (one decode, JPEG DCT scaling, one-pass
  crop+scale with ``reducing_gap``);
* a naive Pillow baseline: for each preset open the file, decode it fully, crop and
  Lanczos-resize, encode;
* pyvips as the reference (decode once with shrink-on-load, then crop and resize each
  preset), if pyvips is installed (``pip install 'pyvips[binary]'``).

It prints the median wall time, the peak RSS of a fresh subprocess doing one pass, the
ratio to the naive path, and per-preset PSNR of Plume's pixels against the naive path's
(both rendered losslessly for the comparison, so JPEG noise does not muddy it).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps  # noqa: E402

from studio import imaging  # noqa: E402
from studio.platforms.media_presets import PRESETS, Preset  # noqa: E402

FOCAL = (0.62, 0.4)


# --------------------------------------------------------------------------------------
# Test images: gradients, 1/f-like noise, hard-edged shapes and sensor grain, so that
# decoding and encoding costs are those of a real photo rather than a flat colour.
# --------------------------------------------------------------------------------------


def photo_like(width: int, height: int, seed: int) -> Image.Image:
    """Return a deterministic, photo-like RGB image."""
    channels = []
    for c in range(3):
        base = Image.linear_gradient("L").rotate(30 * (c + seed), expand=False)
        base = base.resize((width, height), Image.Resampling.BILINEAR)
        layer = base
        for div, sigma, weight in ((96, 70, 0.45), (24, 50, 0.3), (6, 30, 0.2)):
            small = Image.effect_noise((max(2, width // div), max(2, height // div)), sigma)
            noise = small.resize((width, height), Image.Resampling.BICUBIC)
            layer = Image.blend(layer, noise, weight)
        channels.append(layer)
    im = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(im)
    step = max(1, width // 12)
    for i in range(24):
        x = (i * 7919 + seed * 104729) % width
        y = (i * 6007 + seed * 1299709) % height
        colour = ((i * 53) % 256, (i * 97 + 60) % 256, (i * 151 + 120) % 256)
        if i % 3 == 0:
            draw.ellipse((x, y, x + step, y + step * 2 // 3), fill=colour)
        elif i % 3 == 1:
            draw.rectangle((x, y, x + step * 3 // 2, y + step // 2), outline=colour, width=9)
        else:
            draw.line((x, y, x + step * 2, y + step), fill=colour, width=5)
    im = im.filter(ImageFilter.GaussianBlur(0.8))  # lens softness
    grain = Image.effect_noise((width, height), 10).convert("RGB")
    return ImageChops.add(im, grain, scale=1.0, offset=-20)


def make_inputs(tmp: Path) -> dict[str, Path]:
    """Write the 6000x4000 JPEG and 4000x3000 PNG inputs and return their paths."""
    paths = {"jpeg": tmp / "photo_6000x4000.jpg", "png": tmp / "photo_4000x3000.png"}
    photo_like(6000, 4000, seed=1).save(paths["jpeg"], "JPEG", quality=92)
    photo_like(4000, 3000, seed=2).save(paths["png"], "PNG", compress_level=6)
    return paths


# --------------------------------------------------------------------------------------
# The three paths. Each takes the file bytes and a preset list and returns encoded bytes
# per preset id.
# --------------------------------------------------------------------------------------


def plume(data: bytes, presets: list[Preset]) -> dict[str, bytes]:
    """Return Plume's renditions."""
    return {k: r.data for k, r in imaging.render_presets(data, presets, FOCAL).items()}


def naive(data: bytes, presets: list[Preset]) -> dict[str, bytes]:
    """Decode the full image for every preset, crop and Lanczos-resize, encode."""
    out = {}
    for p in presets:
        im = Image.open(io.BytesIO(data))
        im.load()
        im = ImageOps.exif_transpose(im).convert("RGB")
        crop = imaging.crop_for(im.width, im.height, p.width, p.height, FOCAL)
        resized = im.crop(tuple(round(v) for v in crop.to_pixels(im.width, im.height)))
        resized = resized.resize((p.width, p.height), Image.Resampling.LANCZOS)
        out[p.id] = _save(resized, p)
    return out


def _save(im: Image.Image, p: Preset) -> bytes:
    buf = io.BytesIO()
    if p.format == "PNG":
        im.save(buf, "PNG", compress_level=1)
    else:
        im.save(buf, "JPEG", quality=p.quality, optimize=True)
    return buf.getvalue()


def vips(data: bytes, presets: list[Preset]) -> dict[str, bytes]:
    """Decode once with shrink-on-load, then crop and resize each preset (the reference)."""
    import pyvips

    probe = pyvips.Image.new_from_buffer(data, "")
    width, height = probe.width, probe.height
    crops = {p.id: imaging.crop_for(width, height, p.width, p.height, FOCAL) for p in presets}
    is_jpeg = data[:3] == b"\xff\xd8\xff"
    shrink = 1
    if is_jpeg:
        # The largest JPEG shrink (1, 2, 4, 8) that keeps every crop at least 2x its output,
        # the same rule Plume uses for draft().
        need = max(
            max(p.width / (crops[p.id].width * width), p.height / (crops[p.id].height * height))
            for p in presets
        )
        need = min(1.0, need * imaging.DRAFT_OVERSAMPLE)
        for s in (8, 4, 2, 1):
            if width // s >= width * need and height // s >= height * need:
                shrink = s
                break
    im = pyvips.Image.new_from_buffer(data, "", shrink=shrink) if is_jpeg else probe
    im = im.copy_memory()  # decode once; every preset reads the decoded pixels
    out = {}
    for p in presets:
        left, top, right, bottom = crops[p.id].to_pixels(im.width, im.height)
        region = im.crop(int(left), int(top), max(1, int(right - left)), max(1, int(bottom - top)))
        scaled = region.resize(
            p.width / region.width, vscale=p.height / region.height, kernel="lanczos3"
        )
        scaled = scaled.crop(0, 0, min(p.width, scaled.width), min(p.height, scaled.height))
        if p.format == "PNG":
            out[p.id] = scaled.pngsave_buffer(compression=1, keep="none")
        else:
            out[p.id] = scaled.jpegsave_buffer(Q=p.quality, optimize_coding=True, keep="none")
    return out


PATHS = {"plume": plume, "naive": naive, "pyvips": vips}


def have_vips() -> bool:
    """Return whether pyvips and its library import."""
    try:
        import pyvips  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


# --------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------


def child(path_name: str, image: str) -> None:
    """Run one pass of one path and print its peak RSS (a fresh process per measurement)."""
    data = Path(image).read_bytes()
    presets = list(PRESETS.values())
    before = _high_water_kb()
    PATHS[path_name](data, presets)
    after = _high_water_kb()
    print(json.dumps({"peak_kb": after, "before_kb": before}))


def _high_water_kb() -> int:
    """Return this process's peak RSS in kB."""
    # VmHWM belongs to this process image; ru_maxrss would include the parent's peak,
    # which Linux carries over fork and exec.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss_mb(path_name: str, image: Path) -> tuple[float, float]:
    """Return (peak RSS, growth over the idle process) in MB for one pass in a subprocess."""
    env = dict(os.environ, VIPS_CONCURRENCY=os.environ.get("VIPS_CONCURRENCY", "1"))
    done = subprocess.run(
        [sys.executable, __file__, "--child", path_name, str(image)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["peak_kb"] / 1024, (figures["peak_kb"] - figures["before_kb"]) / 1024


def median_seconds(fn, data: bytes, presets: list[Preset], runs: int) -> float:
    """Return the median wall time of ``runs`` calls after one warm-up."""
    fn(data, presets)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(data, presets)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def psnr(a: bytes, b: bytes) -> float:
    """Return the PSNR in dB between two same-size images."""
    ia, ib = Image.open(io.BytesIO(a)).convert("RGB"), Image.open(io.BytesIO(b)).convert("RGB")
    if ia.size != ib.size:
        return float("nan")
    hist = ImageChops.difference(ia, ib).histogram()
    squares = sum(count * (i % 256) ** 2 for i, count in enumerate(hist))
    mse = squares / (ia.width * ia.height * 3)
    return float("inf") if mse == 0 else 10 * math.log10(255**2 / mse)


def main() -> None:
    """Print the benchmark figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per path (median)")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "IMAGE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    presets = list(PRESETS.values())
    lossless = [dataclasses.replace(p, format="PNG", max_bytes=None) for p in presets]
    vips_ok = have_vips()
    if vips_ok:
        # One thread for vips, as Pillow uses one: a like-for-like reference on a shared box.
        os.environ.setdefault("VIPS_CONCURRENCY", "1")
    print(
        f"{len(presets)} presets; {args.runs} timed runs per path (median); Pillow "
        f"{Image.__version__}; pyvips {'installed' if vips_ok else 'not installed'}"
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        inputs = make_inputs(Path(tmp_name))
        for path in inputs.values():
            data = path.read_bytes()
            with Image.open(path) as im:
                size = f"{im.width}x{im.height} {im.format}"
            print(f"\n== {size}, {len(data) / 1e6:.1f} MB ==")
            results = {}
            names = ["plume", "naive"] + (["pyvips"] if vips_ok else [])
            for name in names:
                seconds = median_seconds(PATHS[name], data, presets, args.runs)
                peak, growth = peak_rss_mb(name, path)
                results[name] = seconds
                print(
                    f"{name:>7}: median {seconds * 1000:8.0f} ms   peak RSS {peak:6.0f} MB "
                    f"(+{growth:.0f} MB over idle)"
                )
            if not vips_ok:
                print(" pyvips: not installed (pip install 'pyvips[binary]' for the reference)")
            print(f"  naive / plume = {results['naive'] / results['plume']:.1f}x faster")
            if vips_ok:
                print(
                    f"  plume / pyvips = {results['plume'] / results['pyvips']:.2f}x "
                    "(target: within 2x)"
                )
            ours, theirs = plume(data, lossless), naive(data, lossless)
            scores = {p.id: psnr(ours[p.id], theirs[p.id]) for p in presets}
            worst = min(scores, key=scores.get)
            print(
                "  PSNR plume vs naive (dB): "
                + ", ".join(f"{k} {v:.1f}" for k, v in scores.items())
            )
            print(f"  worst {worst} {scores[worst]:.1f} dB (target >= 40)")


if __name__ == "__main__":
    main()
