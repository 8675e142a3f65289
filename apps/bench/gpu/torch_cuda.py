"""PyTorch CUDA on the GPU benchmark's workloads: the reference encoder's training step and a matmul.

    python3 torch_cuda.py --workload matmul|transformer|all

One JSON line per result or error, in bench_gpu.mjs's format. The model is PyTorch's own
pre-norm TransformerEncoder with the reference encoder's shape (the peers' bench_torch.py model);
each step ends with loss.item() and a device synchronize, as the JavaScript steps end with a
loss read-back. Knobs (environment), as bench_gpu.mjs: BENCH_SPEC, BENCH_BATCHES, BENCH_WARMUP,
BENCH_STEPS, BENCH_MM_N, BENCH_MM_WARMUP, BENCH_MM_REPS; TORCH_DEVICE=cpu runs the same code on
the CPU (a smoke test where there is no CUDA).
"""
import argparse
import json
import os
import statistics
import time
import traceback

import torch
import torch.nn as nn
import torch.nn.functional as F

SPEC = dict(vocab=64, seq_len=64, d_model=128, heads=4, ffn=512, layers=4, classes=10, batch=32)
SPEC.update(json.loads(os.environ.get("BENCH_SPEC") or "{}"))


def env(name, default):
    v = os.environ.get(name)
    return default if v is None or v == "" else v


DEV = env("TORCH_DEVICE", "cuda")
BATCHES = [int(b) for b in env("BENCH_BATCHES", "32,512").split(",") if b]
WARMUP = int(env("BENCH_WARMUP", 3))
STEPS = int(env("BENCH_STEPS", 20))
MM_N = int(env("BENCH_MM_N", 4096))
MM_WARMUP = int(env("BENCH_MM_WARMUP", 3))
MM_REPS = int(env("BENCH_MM_REPS", 10))
BASE = dict(peer="torch", version=torch.__version__,
            backend=f"{DEV} eager" + (f" ({torch.cuda.get_device_name()})" if DEV == "cuda" else ""))


class Model(nn.Module):
    """Embedding + learned positions, pre-norm encoder layers (GELU, no dropout), final norm, mean pool."""

    def __init__(self, sp):
        super().__init__()
        self.tok = nn.Embedding(sp["vocab"], sp["d_model"])
        self.pos = nn.Parameter(torch.randn(sp["seq_len"], sp["d_model"]) * 0.02)
        layer = nn.TransformerEncoderLayer(
            d_model=sp["d_model"], nhead=sp["heads"], dim_feedforward=sp["ffn"], dropout=0.0,
            activation="gelu", batch_first=True, norm_first=True, layer_norm_eps=1e-5)
        self.enc = nn.TransformerEncoder(layer, num_layers=sp["layers"], norm=nn.LayerNorm(sp["d_model"]),
                                         enable_nested_tensor=False)
        self.head = nn.Linear(sp["d_model"], sp["classes"])

    def forward(self, idx):
        return self.head(self.enc(self.tok(idx) + self.pos).mean(dim=1))


def spec_gflop(sp):
    """Matmul FLOPs (2 per multiply-add) of one step; backward costs twice the forward (common.mjs)."""
    B, T, D, Fd, L, C = (sp[k] for k in ("batch", "seq_len", "d_model", "ffn", "layers", "classes"))
    per_layer = 2 * B * T * D * 3 * D + 2 * B * T * D * D + 2 * 2 * B * T * T * D + 2 * 2 * B * T * D * Fd
    return 3 * (L * per_layer + 2 * B * D * C) / 1e9


def sync():
    if DEV == "cuda":
        torch.cuda.synchronize()


def timed(fn, warmup, reps):
    warm, times = [], []
    for _ in range(warmup):
        t = time.perf_counter(); fn(); warm.append((time.perf_counter() - t) * 1e3)
    for _ in range(reps):
        t = time.perf_counter(); fn(); times.append((time.perf_counter() - t) * 1e3)
    r = lambda x: round(x, 3)
    return dict(median_ms=r(statistics.median(times)), min_ms=r(min(times)), max_ms=r(max(times)),
                reps=len(times), warmup_ms=[r(x) for x in warm])


def emit(rec):
    print(json.dumps(dict(kind="result", **rec, **BASE)), flush=True)


def emit_error(workload, e):
    print(json.dumps(dict(kind="error", workload=workload, error=traceback.format_exc()[-2000:], **BASE)), flush=True)


def wl_transformer(batch):
    sp = dict(SPEC, batch=batch)
    torch.manual_seed(0)
    m = Model(sp).to(DEV)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    idx = torch.randint(0, sp["vocab"], (batch, sp["seq_len"]), generator=g).to(DEV)
    lab = torch.randint(0, sp["classes"], (batch,), generator=g).to(DEV)
    losses = []

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(m(idx), lab)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        sync()

    s = timed(step, WARMUP, STEPS)
    gf = spec_gflop(sp)
    emit(dict(workload="transformer train step", batch=batch, params=sum(p.numel() for p in m.parameters()),
              model_gflop_per_step=round(gf, 3), gflops=round(gf / (s["median_ms"] / 1e3), 1),
              loss_first=losses[0], loss_last=losses[-1], steps_total=len(losses),
              losses=[round(x, 4) for x in losses], **s,
              notes="nn.TransformerEncoder(norm_first=True, gelu, dropout=0) + final LayerNorm; F.cross_entropy; "
                    "torch.optim.Adam(1e-3); step ends with loss.item() + synchronize"))


def wl_matmul():
    n = MM_N
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g).to(DEV)
    b = torch.randn(n, n, generator=g).to(DEV)

    def run():
        a @ b
        sync()

    s = timed(run, MM_WARMUP, MM_REPS)
    emit(dict(workload=f"matmul {n}x{n}x{n} f32", gflops=round(2 * n**3 / (s["median_ms"] * 1e6), 1), **s,
              tf32=bool(DEV == "cuda" and torch.backends.cuda.matmul.allow_tf32),
              notes="a @ b; completion forced by synchronize (TF32 off: PyTorch's default for matmul)"))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", default="all", choices=["matmul", "transformer", "all"])
    wl = ap.parse_args().workload
    if wl in ("matmul", "all"):
        try:
            wl_matmul()
        except Exception as e:  # noqa: BLE001 -- reported as a JSON error line, like the JS runners
            emit_error(f"matmul {MM_N}", e)
    if wl in ("transformer", "all"):
        for b in BATCHES:
            try:
                wl_transformer(b)
            except Exception as e:  # noqa: BLE001
                emit_error(f"transformer batch {b}", e)
