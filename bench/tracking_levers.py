"""P8 levers, per component: each candidate engine timed against torch in the same run.

EdgeTAM architecture, non-trivial random weights, 1024 px frames of the dog clip. For each
component the candidates are called in interleaved rounds (torch, A, B, … per round) and the
median is kept, so the shared machine's load hits them alike; the output's worst relative error
vs torch says what the lever costs in accuracy.

    .venv/bin/python bench/tracking_levers.py                  # 2 threads (every core here)
    .venv/bin/python bench/tracking_levers.py --threads 1
    .venv/bin/python bench/tracking_levers.py --only encoder   # or memory, memory-encoder
    .venv/bin/python bench/tracking_levers.py --threads 1 --clock cpu  # load-robust CPU time

``--clock cpu`` times process CPU time instead of wall time: at 1 thread it is close to what a
quiet machine's wall clock would say even while other jobs share the cores.
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
from model.tracking.openvino_graphs import (  # noqa: E402
    FeatureMaps,
    MemoryEncoderFeatures,
    SteadyMemoryAttention,
)
from model.tracking.preprocess import Preprocessor  # noqa: E402
from model.tracking.speedups import optimize_for_inference  # noqa: E402


def _rel_err(out, ref) -> float:
    return max(
        float(np.abs(o - r).max() / (np.abs(r).max() + 1e-30))
        for o, r in zip(out, ref, strict=True)
    )


CLOCK = time.perf_counter  # or time.process_time (--clock cpu)


def _race(
    rows: list, what: str, candidates: dict[str, Callable[[], list[np.ndarray]]], rounds: int
) -> None:
    ref = candidates["torch"]()
    outs = {k: fn() for k, fn in candidates.items()}  # also warms each up
    times: dict[str, list[float]] = {k: [] for k in candidates}
    for _ in range(rounds):
        for key, fn in candidates.items():
            t0 = CLOCK()
            fn()
            times[key].append(CLOCK() - t0)
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
    import openvino as ov

    net = FeatureMaps(model.vision_encoder, None).eval()
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
    candidates["OpenVINO fp32"] = _ov_call(ov_fp32, [x])
    candidates["OpenVINO bf16 (its default on CPUs with bf16 units)"] = _ov_call(ov_bf16, [x])
    try:
        import nncf

        calib = nncf.Dataset([f[None].numpy() for f in frames])
        int8 = nncf.quantize(graph, calib, subset_size=len(frames))
        ov_int8 = core.compile_model(int8, "CPU", dict(cfg, INFERENCE_PRECISION_HINT="f32"))
        candidates[f"OpenVINO int8 (NNCF PTQ, {len(frames)} clip frames)"] = _ov_call(ov_int8, [x])
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
    net_cl = copy.deepcopy(net).to(memory_format=torch.channels_last)
    x_cl = x.contiguous(memory_format=torch.channels_last)

    def run_channels_last():
        with torch.inference_mode():
            return [t.contiguous().numpy() for t in net_cl(x_cl)]

    candidates["torch channels_last"] = run_channels_last
    with tempfile.TemporaryDirectory() as tmp:
        sess = _ort_session(net, (x,), f"{tmp}/encoder.onnx", threads)
        name = sess.get_inputs()[0].name
        candidates["ONNX Runtime fp32 (all graph optimisations)"] = lambda: sess.run(
            None, {name: x.numpy()}
        )
        _race(rows, "image encoder (RepViT + FPN, 1024 px)", candidates, rounds)


def _ov_call(compiled, inputs: list[torch.Tensor]) -> Callable[[], list[np.ndarray]]:
    """Call a compiled graph as the engine does (one infer request, inputs shared, not copied):
    the compiled model's own ``__call__`` is slower on CPU and would understate OpenVINO."""
    request = compiled.create_infer_request()
    arrays = {k: t.contiguous().numpy() for k, t in enumerate(inputs)}

    def call() -> list[np.ndarray]:
        result = request.infer(arrays, share_inputs=True, share_outputs=False)
        return [result[k] for k in range(len(compiled.outputs))]

    return call


def _ort_session(net: torch.nn.Module, example: tuple, path: str, threads: int):
    """ONNX export + an ONNX Runtime session with every graph optimisation."""
    import onnxruntime as ort

    with torch.no_grad():
        torch.onnx.export(net, example, path, dynamo=False, opset_version=17)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def _steady_inputs(model, module_name: str) -> tuple[tuple, dict]:
    """A module's (args, kwargs) at steady state (memory bank full), from a real torch run."""
    seen: list = []

    def grab(_module, args, kwargs):
        def keep(v):
            return v.clone() if isinstance(v, torch.Tensor) else v

        seen[:] = [tuple(keep(a) for a in args), {k: keep(v) for k, v in kwargs.items()}]

    tracker = Tracker.from_model(model, "levers", engine="torch")
    module = getattr(model, module_name)
    hook = module.register_forward_pre_hook(grab, with_kwargs=True)
    clip = Clip(CLIP)
    clip.length = 18  # > 16 object pointers + 7 memories: the bank is full
    try:
        with TrackingSession(tracker, clip) as session:
            session.add_box(0, 1, DOG_BOX)
            for _ in session.propagate():
                pass
    finally:
        hook.remove()
    return seen[0], seen[1]


def _compile(graph, threads: int, static: tuple | None = None):
    """fp32, latency, ``threads``; ``static``: example tensors whose shapes are fixed first
    (``convert_model`` leaves every input dynamic by default)."""
    import openvino as ov

    if static is not None:
        graph.reshape(
            {
                put: ov.PartialShape(list(t.shape))
                for put, t in zip(graph.inputs, static, strict=True)
            }
        )
    return ov.Core().compile_model(
        graph,
        "CPU",
        {
            "INFERENCE_NUM_THREADS": threads,
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": "f32",
        },
    )


def bench_memory_encoder(rows: list, model, rounds: int, threads: int) -> None:
    """The memory encoder (mask downsampler + fuser) as the library writes it vs the engine's
    NCHW form of it (channel LayerNorm as LayerNorm2d, pointwise Linear as 1x1 conv)."""
    import openvino as ov

    (features, masks), _ = _steady_inputs(model, "memory_encoder")
    encoder = model.memory_encoder
    example = (features, masks)

    def run_torch():
        with torch.inference_mode():
            return [encoder(*example)[0].numpy()]

    with torch.no_grad():
        library = ov.convert_model(_FirstOutput(encoder).eval(), example_input=example)
        nchw = ov.convert_model(MemoryEncoderFeatures(encoder).eval(), example_input=example)
        nchw_static = ov.convert_model(MemoryEncoderFeatures(encoder).eval(), example_input=example)
    _race(
        rows,
        "memory encoder (1024 px mask + 64x64 features)",
        {
            "torch": run_torch,
            "OpenVINO fp32, traced as the library writes it": _ov_call(
                _compile(library, threads), list(example)
            ),
            "OpenVINO fp32, NCHW form": _ov_call(_compile(nchw, threads), list(example)),
            "OpenVINO fp32, NCHW form, static shapes (the engine's)": _ov_call(
                _compile(nchw_static, threads, example), list(example)
            ),
        },
        rounds,
    )


class _FirstOutput(torch.nn.Module):
    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        return self.module(*args)[0]


def bench_memory(rows: list, model, rounds: int, threads: int) -> None:
    _, inputs = _steady_inputs(model, "memory_attention")
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
    steady = SteadyMemoryAttention(
        attention, inputs["num_spatial_memory_tokens"], inputs["num_object_pointer_tokens"]
    ).eval()
    with torch.no_grad():
        graph = ov.convert_model(steady, example_input=graph_inputs)
        static = ov.convert_model(steady, example_input=graph_inputs)
    compiled = _compile(graph, threads)
    compiled_static = _compile(static, threads, graph_inputs)
    arrays = [t.numpy() for t in graph_inputs]
    eager = copy.deepcopy(attention)
    for module in eager.modules():  # transformers' matmul + softmax attention instead of SDPA
        config = getattr(module, "config", None)
        if config is not None:
            module.config = copy.copy(config)
            module.config._attn_implementation = "eager"
    with tempfile.TemporaryDirectory() as tmp:
        sess = _ort_session(steady, graph_inputs, f"{tmp}/memory.onnx", threads)
        names = [i.name for i in sess.get_inputs()]
        _race(
            rows,
            f"memory attention ({tokens} memory tokens)",
            {
                "torch": run(attention),
                "OpenVINO fp32": _ov_call(compiled, list(graph_inputs)),
                "OpenVINO fp32, static shapes (the engine's)": _ov_call(
                    compiled_static, list(graph_inputs)
                ),
                "ONNX Runtime fp32 (all graph optimisations)": lambda: sess.run(
                    None, dict(zip(names, arrays, strict=True))
                )[:1],
                "torch quantize_dynamic int8 Linear": run(dynamic),
                "torch, eager attention instead of SDPA": run(eager),
            },
            rounds,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="encoder,memory,memory-encoder")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    model = build_random_model("test-random-edgetam")
    optimize_for_inference(model)
    clip, pre = Clip(CLIP), Preprocessor(1024)
    frames = [pre(clip.frame(i)) for i in range(0, 80, 10)]
    rows: list = []
    only = args.only.split(",")
    if "encoder" in only:
        bench_encoder(rows, model, frames, args.rounds, threads)
    if "memory" in only:
        bench_memory(rows, model, args.rounds, threads)
    if "memory-encoder" in only:
        bench_memory_encoder(rows, model, args.rounds, threads)
    print_table(
        ("component", "engine", "median", "speed", "max rel. error vs torch"),
        rows,
        note=f"; {threads} threads for every engine; {args.clock} clock",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
