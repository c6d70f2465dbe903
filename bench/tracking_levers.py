"""P8 levers, per component: each candidate engine timed against torch in the same run.

EdgeTAM architecture, non-trivial random weights, 1024 px frames of the dog clip. For each
component the candidates are called in interleaved rounds (torch, A, B, … per round) and the
median is kept, so the shared machine's load hits them alike; the output's worst relative error
vs torch says what the lever costs in accuracy.

    .venv/bin/python bench/tracking_levers.py                  # 2 threads (every core here)
    .venv/bin/python bench/tracking_levers.py --threads 1
    .venv/bin/python bench/tracking_levers.py --only encoder   # or memory
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._table import print_table  # noqa: E402
from bench.tracking import CLIP, DOG_BOX, Clip  # noqa: E402
from model.testmodels import build_random_model  # noqa: E402
from model.tracking import Tracker, TrackingSession  # noqa: E402
from model.tracking.openvino_engine import _FeatureMaps, _SteadyMemoryAttention  # noqa: E402
from model.tracking.preprocess import Preprocessor  # noqa: E402
from model.tracking.speedups import optimize_for_inference  # noqa: E402


def _rel_err(out, ref) -> float:
    return max(
        float(np.abs(o - r).max() / (np.abs(r).max() + 1e-30))
        for o, r in zip(out, ref, strict=True)
    )


def _race(
    rows: list, what: str, candidates: dict[str, Callable[[], list[np.ndarray]]], rounds: int
) -> None:
    ref = candidates["torch"]()
    outs = {k: fn() for k, fn in candidates.items()}  # also warms each up
    times: dict[str, list[float]] = {k: [] for k in candidates}
    for _ in range(rounds):
        for key, fn in candidates.items():
            t0 = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t0)
    base = float(np.median(times["torch"]))
    for key in candidates:
        med = float(np.median(times[key]))
        rows.append(
            (
                what,
                key,
                f"{med * 1000:.0f} ms",
                f"{base / med:.2f}x torch",
                "—" if key == "torch" else f"{_rel_err(outs[key], ref):.1e}",
            )
        )


def bench_encoder(rows: list, model, frames: list[torch.Tensor], rounds: int, threads: int) -> None:
    import onnxruntime as ort
    import openvino as ov

    net = _FeatureMaps(model.vision_encoder).eval()
    x = frames[0][None]
    with torch.no_grad():
        graph = ov.convert_model(net, example_input=x)
    core = ov.Core()
    cfg = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"}
    ov_fp32 = core.compile_model(graph, "CPU", dict(cfg, INFERENCE_PRECISION_HINT="f32"))
    ov_bf16 = core.compile_model(graph, "CPU", dict(cfg, INFERENCE_PRECISION_HINT="bf16"))
    candidates: dict[str, Callable[[], list[np.ndarray]]] = {}

    def run_torch():
        with torch.inference_mode():
            return [t.numpy() for t in net(x)]

    candidates["torch"] = run_torch
    candidates["OpenVINO fp32"] = lambda: [ov_fp32(x.numpy())[k] for k in range(3)]
    candidates["OpenVINO bf16 (its default on CPUs with bf16 units)"] = lambda: [
        ov_bf16(x.numpy())[k] for k in range(3)
    ]
    try:
        import nncf

        calib = nncf.Dataset([f[None].numpy() for f in frames])
        int8 = nncf.quantize(graph, calib, subset_size=len(frames))
        ov_int8 = core.compile_model(int8, "CPU", dict(cfg, INFERENCE_PRECISION_HINT="f32"))
        candidates[f"OpenVINO int8 (NNCF PTQ, {len(frames)} clip frames)"] = lambda: [
            ov_int8(x.numpy())[k] for k in range(3)
        ]
    except Exception as exc:  # report, don't hide
        rows.append(
            (
                "image encoder",
                "OpenVINO int8 (NNCF)",
                "failed",
                f"{type(exc).__name__}: {exc}"[:120],
                "",
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/encoder.onnx"
        with torch.no_grad():
            torch.onnx.export(net, (x,), path, dynamo=False, opset_version=17)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = threads
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        candidates["ONNX Runtime fp32 (all graph optimisations)"] = lambda: sess.run(
            None, {name: x.numpy()}
        )
        _race(rows, "image encoder (RepViT + FPN, 1024 px)", candidates, rounds)


def _memory_inputs(model) -> dict:
    """The memory attention's inputs at steady state (memory bank full), from a real run."""
    seen: dict = {}

    def grab(_module, args, kwargs):
        seen.clear()
        seen.update(
            {k: (v.clone() if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()}
        )

    tracker = Tracker.from_model(model, "levers", engine="torch")
    hook = model.memory_attention.register_forward_pre_hook(grab, with_kwargs=True)
    clip = Clip(CLIP)
    clip.length = 18  # > 16 object pointers + 7 memories: the bank is full
    try:
        with TrackingSession(tracker, clip) as session:
            session.add_box(0, 1, DOG_BOX)
            for _ in session.propagate():
                pass
    finally:
        hook.remove()
    return dict(seen)


def bench_memory(rows: list, model, rounds: int, threads: int) -> None:
    inputs = _memory_inputs(model)
    attention = model.memory_attention
    dynamic = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(attention), {torch.nn.Linear}, dtype=torch.qint8
    )

    def run(module):
        def call():
            with torch.inference_mode():
                return [module(**inputs).numpy()]

        return call

    import openvino as ov

    tokens = inputs["memory"].shape[0]
    graph_inputs = (
        inputs["current_vision_features"],
        inputs["current_vision_position_embeddings"],
        inputs["memory"],
        inputs["memory_posision_embeddings"],
    )
    steady = _SteadyMemoryAttention(
        attention, inputs["num_spatial_memory_tokens"], inputs["num_object_pointer_tokens"]
    ).eval()
    with torch.no_grad():
        graph = ov.convert_model(steady, example_input=graph_inputs)
    compiled = ov.Core().compile_model(
        graph,
        "CPU",
        {
            "INFERENCE_NUM_THREADS": threads,
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": "f32",
        },
    )
    arrays = [t.numpy() for t in graph_inputs]
    _race(
        rows,
        f"memory attention ({tokens} memory tokens)",
        {
            "torch": run(attention),
            "OpenVINO fp32": lambda: [compiled(arrays)[0]],
            "torch quantize_dynamic int8 Linear": run(dynamic),
        },
        rounds,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="encoder,memory")
    args = parser.parse_args(argv)
    threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    model = build_random_model("test-random-edgetam")
    optimize_for_inference(model)
    clip, pre = Clip(CLIP), Preprocessor(1024)
    frames = [pre(clip.frame(i)) for i in range(0, 80, 10)]
    rows: list = []
    if "encoder" in args.only:
        bench_encoder(rows, model, frames, args.rounds, threads)
    if "memory" in args.only:
        bench_memory(rows, model, args.rounds, threads)
    print_table(
        ("component", "engine", "median", "speed", "max rel. error vs torch"),
        rows,
        note=f"; {threads} threads for every engine",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
