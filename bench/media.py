"""Media engine benchmark: decode, exact seek (cached / uncached) and transcode on 1080p.

Usage: .venv/bin/python bench/media.py [--frames 150] [--gop 250] [--short-gop 30] [--seeks 20]
                                       [--keep DIR]

The 1080p inputs are generated into a temp dir: ``bedroom_small.mp4`` (480x270) upscaled 4x to
1920x1080 (bicubic), the first ``--frames`` frames, libx264 medium CRF 18 with B-frames, once
with a keyframe only every ``--gop`` frames (250 = x264's default; with 150 frames the clip has
one keyframe: the worst case for seeking) and once every ``--short-gop`` frames (30 ≈ 1 s, as
phones and cameras write). Every rotokit number is printed beside the same job written as a
plain PyAV loop inline below (same thread settings, same output), measured in the same run,
and the ratio rotokit / plain.

* decode: all frames to RGB numpy arrays. rotokit ``FrameSource.iter_frames()`` vs
  ``for f in container.decode(...): f.to_ndarray(format="rgb24")``.
* exact seek, uncached: frame k (random k, fixed seed) not in the cache. rotokit
  ``FrameSource.frame(k)`` after ``clear_cache()`` vs plain PyAV seek to the keyframe + decode
  forward until the pts matches + to RGB, alternated request by request so both see the same
  load. Both results are checked against sequential decode (per-frame hashes). Wall-clock is
  what a user waits; the CPU time (all decoder threads) is printed too because this shared
  machine's load swings wall-clock several-fold between runs.
* decode runs alternate plain, rotokit, plain, rotokit; the best of each is kept. The one-time
  ``FrameSource`` open (probe: demux every packet for the frame index, decode the first frame
  for the display matrix) is timed apart.
* exact seek, cached: the same frames asked again (rotokit cache) vs plain PyAV redoing the
  uncached path (it has no cache).
* scrub: a forward drag, every 3rd frame from a random start (what a timeline slider asks).
* transcode: decode → RGB → encode (libx264 veryfast CRF 18, yuv420p): ``FrameSource`` +
  ``VideoWriter`` vs a plain PyAV loop with the same encoder options.
* P5 of DESIGN.md: show frame k while scrubbing 1080p: cached ≤ 30 ms, uncached ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))

from app.media import FrameSource, VideoWriter, probe  # noqa: E402
from bench._table import best_of  # noqa: E402

W, H = 1920, 1080
CRF, PRESET = 18, "veryfast"  # transcode bench; the inputs themselves are x264 medium


def make_1080p(out: Path, frames: int, gop: int) -> None:
    """Upscale a shared clip to 1080p with plain PyAV (independent of the code under test)."""
    src = MEDIA / "bedroom_small.mp4"
    with av.open(str(src)) as inp, av.open(str(out), "w") as dst:
        s_in = inp.streams.video[0]
        s_out = dst.add_stream(
            "libx264", rate=s_in.average_rate, options={"crf": "18", "preset": "medium"}
        )
        s_out.width, s_out.height, s_out.pix_fmt = W, H, "yuv420p"
        s_out.codec_context.gop_size = gop
        s_out.time_base = s_in.time_base
        s_out.codec_context.time_base = s_in.time_base
        for i, f in enumerate(inp.decode(s_in)):
            if i == frames:
                break
            big = cv2.resize(f.to_ndarray(format="rgb24"), (W, H), interpolation=cv2.INTER_CUBIC)
            vf = av.VideoFrame.from_ndarray(big, format="rgb24")
            vf.pts, vf.time_base = f.pts, f.time_base
            dst.mux(s_out.encode(vf))
        dst.mux(s_out.encode(None))


# -- plain PyAV baselines (what one would write without rotokit) -------------------------------


def plain_decode(path: Path) -> Iterator[np.ndarray]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for f in c.decode(s):
            yield f.to_ndarray(format="rgb24")


class PlainSeeker:
    """Exact seek the textbook way: seek to the keyframe before pts, decode until pts matches."""

    def __init__(self, path: Path) -> None:
        self.c = av.open(str(path))
        self.s = self.c.streams.video[0]
        self.s.thread_type = "AUTO"
        self.pts = sorted(p.pts for p in self.c.demux(self.s) if p.size)

    def frame(self, k: int) -> np.ndarray:
        target = self.pts[k]
        self.c.seek(target, stream=self.s, backward=True)
        for f in self.c.decode(self.s):
            if f.pts == target:
                return f.to_ndarray(format="rgb24")
        raise RuntimeError(f"frame {k} not found")

    def close(self) -> None:
        self.c.close()


def plain_transcode(src: Path, out: Path) -> int:
    with av.open(str(src)) as inp, av.open(str(out), "w") as dst:
        s_in = inp.streams.video[0]
        s_in.thread_type = "AUTO"
        s_out = dst.add_stream(
            "libx264", rate=s_in.average_rate, options={"crf": str(CRF), "preset": PRESET}
        )
        s_out.width, s_out.height, s_out.pix_fmt = W, H, "yuv420p"
        s_out.time_base = s_in.time_base
        s_out.codec_context.time_base = s_in.time_base
        s_out.thread_type = "AUTO"
        n = 0
        for f in inp.decode(s_in):
            vf = av.VideoFrame.from_ndarray(f.to_ndarray(format="rgb24"), format="rgb24")
            vf.pts, vf.time_base = f.pts, f.time_base
            dst.mux(s_out.encode(vf))
            n += 1
        dst.mux(s_out.encode(None))
    return n


# -- rotokit ------------------------------------------------------------------------------------


def rotokit_decode(path: Path) -> Iterator[np.ndarray]:
    with FrameSource(path) as fs:
        for f in fs.iter_frames():
            yield f.rgb


def rotokit_transcode(src: Path, out: Path) -> int:
    with (
        FrameSource(src) as fs,
        VideoWriter(out, source=fs.info, codec="h264", crf=CRF, preset=PRESET) as w,
    ):
        for f in fs.iter_frames():
            w.write(f.rgb, f.pts)
    return w.frames_written


# -- helpers ------------------------------------------------------------------------------------


def count(frames: Iterator[np.ndarray]) -> int:
    return sum(1 for _ in frames)


def digests(frames: Iterator[np.ndarray]) -> list[bytes]:
    """Per-frame hashes: the exactness reference without holding 150 1080p frames (0.9 GB)."""
    return [digest(f) for f in frames]


def digest(rgb: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(rgb).data, digest_size=16).digest()


def ms_stats(xs: list[float]) -> str:
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, round(0.9 * (len(xs) - 1)))]
    return (
        f"median {statistics.median(xs) * 1e3:8.3f} ms  p90 {p90 * 1e3:8.3f}  "
        f"max {xs[-1] * 1e3:8.3f}"
    )


def bench_seek(
    clip: Path, reference: list[bytes], plain_frames: list[bytes], seeks: int, label: str
) -> tuple[list[tuple[str, str, str, str]], tuple[float, float, float, float]]:
    """Uncached / cached / forward-scrub latency of exact frame access, rotokit vs plain."""
    n = len(reference)
    rows: list[tuple[str, str, str, str]] = []
    rng = random.Random(7)
    ks = [rng.randrange(n) for _ in range(seeks)]
    plain = PlainSeeker(clip)
    fs = FrameSource(clip)
    # Alternate plain / rotokit request by request so both see the same machine load.
    t_plain_seek, t_unc, cpu_unc = [], [], []
    for k in ks:
        t = time.perf_counter()
        rgb = plain.frame(k)
        t_plain_seek.append(time.perf_counter() - t)
        assert digest(rgb) == plain_frames[k], f"plain seek wrong at {k}"
        fs.clear_cache()
        t, c = time.perf_counter(), time.process_time()
        rgb = fs.frame(k)
        t_unc.append(time.perf_counter() - t)
        cpu_unc.append(time.process_time() - c)
        assert digest(rgb) == reference[k], f"rotokit seek wrong at {k}"
    for k in ks:
        fs.frame(k)  # fill
    t_cached = []
    for k in ks:
        t = time.perf_counter()
        fs.frame(k)
        t_cached.append(time.perf_counter() - t)
    # forward scrub: the slider is dragged right, every 3rd frame, nothing cached
    fs.clear_cache()
    start = rng.randrange(n // 2)
    scrub = list(range(start, min(n, start + 60), 3))
    fs.frame(scrub[0])
    plain.frame(scrub[0])
    t_scrub, t_plain_scrub = [], []
    for k in scrub[1:]:
        t = time.perf_counter()
        plain.frame(k)
        t_plain_scrub.append(time.perf_counter() - t)
        t = time.perf_counter()
        rgb = fs.frame(k)
        t_scrub.append(time.perf_counter() - t)
        assert digest(rgb) == reference[k]
    plain.close()
    fs.close()

    med = statistics.median
    print(f"[{label}]")
    print(f"seek uncached: rotokit {ms_stats(t_unc)}")
    print(f"               plain   {ms_stats(t_plain_seek)}")
    print(f"               rotokit CPU time (all threads) {ms_stats(cpu_unc)}")
    print(f"seek cached:   rotokit {ms_stats(t_cached)}")
    print(f"scrub forward: rotokit {ms_stats(t_scrub)}")
    print(f"               plain   {ms_stats(t_plain_scrub)}")
    rows.append(
        (
            f"exact seek, uncached, {label} (median ms)",
            f"{med(t_unc) * 1e3:7.1f}",
            f"{med(t_plain_seek) * 1e3:7.1f}",
            f"{med(t_unc) / med(t_plain_seek):5.2f}x",
        )
    )
    rows.append(
        (
            f"exact seek, cached, {label} (median ms)",
            f"{med(t_cached) * 1e3:7.3f}",
            f"{med(t_plain_seek) * 1e3:7.1f}",
            f"{med(t_cached) / med(t_plain_seek):5.3f}x",
        )
    )
    rows.append(
        (
            f"scrub forward, every 3rd frame, {label} (median ms)",
            f"{med(t_scrub) * 1e3:7.1f}",
            f"{med(t_plain_scrub) * 1e3:7.1f}",
            f"{med(t_scrub) / med(t_plain_scrub):5.2f}x",
        )
    )

    u90 = sorted(t_unc)[int(0.9 * (len(t_unc) - 1))]
    return rows, (med(t_cached) * 1e3, med(t_unc) * 1e3, u90 * 1e3, med(t_scrub) * 1e3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--gop", type=int, default=250)
    ap.add_argument("--short-gop", type=int, default=30)
    ap.add_argument("--seeks", type=int, default=20)
    ap.add_argument("--keep", type=Path, help="write the generated clip here instead of a temp dir")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        clip = folder / f"bench_1080p_gop{args.gop}.mp4"
        t = time.perf_counter()
        if not clip.exists():
            make_1080p(clip, args.frames, args.gop)
        info = probe(clip)
        with av.open(str(clip)) as c:
            keys = sum(1 for p in c.demux(video=0) if p.size and p.is_keyframe)
        print(
            f"inputs: {clip.name} (and the same with GOP {args.short_gop}): "
            f"bedroom_small.mp4 upscaled to {info.width}x{info.height}, "
            f"{info.frame_count} frames, libx264 medium crf 18, "
            f"GOP {args.gop} -> {keys} keyframe(s) "
            f"(generated in {time.perf_counter() - t:.1f} s)"
        )
        print(
            f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
            f"PyAV {av.__version__}; thread_type AUTO both sides\n"
        )
        n = info.frame_count
        rows: list[tuple[str, str, str, str]] = []

        # decode
        # rotokit opens a FrameSource once (probe + frame index + first frame), then decodes;
        # the open is timed apart, the decode loops alternate with the plain loop.
        t = time.perf_counter()
        fs = FrameSource(clip)
        t_open = time.perf_counter() - t
        t_plain = t_roto = float("inf")
        for _ in range(2):
            t_p, n_plain = best_of(1, lambda: count(plain_decode(clip)))
            t_r, n_roto = best_of(1, lambda: count(f.rgb for f in fs.iter_frames()))
            t_plain, t_roto = min(t_plain, t_p), min(t_roto, t_r)
        fs.close()
        assert n_plain == n_roto == n
        rows.append(
            (
                "FrameSource open: probe + frame index + first frame (ms)",
                f"{t_open * 1e3:7.1f}",
                "-",
                "-",
            )
        )
        rows.append(
            (
                "decode → RGB (fps)",
                f"{n / t_roto:7.1f}",
                f"{n / t_plain:7.1f}",
                f"{(n / t_roto) / (n / t_plain):5.2f}x",
            )
        )
        print(
            f"decode: rotokit {n / t_roto:.1f} fps, plain PyAV {n / t_plain:.1f} fps; "
            f"FrameSource open {t_open * 1e3:.0f} ms"
        )
        # Untagged HD: rotokit converts with BT.709 as players do, plain to_ndarray with BT.601,
        # so each side is checked against its own sequential decode.
        short = folder / f"bench_1080p_gop{args.short_gop}.mp4"
        p5s = []
        for path, gop in ((clip, args.gop), (short, args.short_gop)):
            if not path.exists():
                make_1080p(path, args.frames, gop)
            seek_rows, p5_gop = bench_seek(
                path,
                digests(rotokit_decode(path)),
                digests(plain_decode(path)),
                args.seeks,
                f"GOP {gop}",
            )
            rows += seek_rows
            p5s.append(p5_gop)
        p5, p5_short = p5s

        # transcode
        out_plain, out_roto = folder / "plain.mp4", folder / "rotokit.mp4"
        t_plain_tx, n1 = best_of(1, lambda: plain_transcode(clip, out_plain))
        t_roto_tx, n2 = best_of(1, lambda: rotokit_transcode(clip, out_roto))
        assert n1 == n2 == n
        rows.append(
            (
                "decode → RGB → libx264 veryfast (fps)",
                f"{n / t_roto_tx:7.1f}",
                f"{n / t_plain_tx:7.1f}",
                f"{(n / t_roto_tx) / (n / t_plain_tx):5.2f}x",
            )
        )
        print(
            f"transcode: rotokit {n / t_roto_tx:.1f} fps, plain PyAV {n / t_plain_tx:.1f} fps, "
            f"output frames {probe(out_roto).frame_count}"
        )

        print("\n| measure (1080p) | rotokit | plain PyAV | ratio |")
        print("|---|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1].strip()} | {r[2].strip()} | {r[3].strip()} |")
        for label, (c_ms, u_ms, u_p90, scrub_ms) in (
            (f"GOP {args.gop}", p5),
            (f"GOP {args.short_gop}", p5_short),
        ):
            print(
                f"\nP5 (show frame k while scrubbing 1080p), {label}: cached median {c_ms:.3f} ms "
                f"(target ≤ 30: {'PASS' if c_ms <= 30 else 'FAIL'}); "
                f"uncached median {u_ms:.0f} ms, "
                f"p90 {u_p90:.0f} ms (target ≤ 200: {'PASS' if u_ms <= 200 else 'FAIL'}); "
                f"forward scrub (every 3rd frame) median {scrub_ms:.0f} ms"
            )


if __name__ == "__main__":
    main()
