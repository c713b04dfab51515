"""Time one epoch of mini-batch SGD: lecture_code against the same loop in PyTorch (eager, CPU).

    python benchmarks/bench_training.py [--repeats 7] [--skip-large]

Small case: an 8-64-64-1 ReLU MLP on the standardized concrete training split
(722 examples), B = 32 (23 updates). Large case: 8-512-512-1 on 100 000
synthetic examples, B = 1024 (98 updates). Both sides do the same work: a loss
evaluation on the whole training set, one epoch of updates in the same batch
order, and a second evaluation (what ``lecture_code.training.train(epochs=1)``
does), in float64 and in float32 (lecture_code computes in the precision of its
parameters and data). Prints one table per case: the median time of each, the
ratio lecture_code / PyTorch (<= 1.0: no slower), the time of the epoch's matrix
products alone in plain NumPy (the machine's GEMM rate on these shapes) and the
share of lecture_code's time that those products account for (100%: GEMM-bound).
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import torch

import lecture_code as lc
from lecture_code import data, training
from lecture_code import torch_bridge as tb
from timing import median_time




def torch_epoch(net, thetas, X, Y, order, lr, dtype):
    module = tb.twin(net, thetas, "cpu").to(dtype)
    Xt, Yt = torch.as_tensor(X, dtype=dtype), torch.as_tensor(Y, dtype=dtype)
    indices = [torch.as_tensor(idx) for idx in order]
    optimizer = torch.optim.SGD(module.parameters(), lr=lr)

    def loss(pred, target):
        return 0.5 * ((pred - target) ** 2).sum() / pred.shape[0]

    def run():
        with torch.no_grad():
            loss(module(Xt), Yt).item()
        for idx in indices:
            optimizer.zero_grad()
            loss(module(Xt[idx]), Yt[idx]).backward()
            optimizer.step()
        with torch.no_grad():
            return loss(module(Xt), Yt).item()

    return run


def gemm_epoch(sizes, n, batch_size, dtype):
    """The matrix products of one epoch alone, in plain NumPy: what a matrix-product-bound epoch costs.

    Per update, for every Linear layer W (d_out x d_in): the forward product (B x d_in)(d_in x d_out),
    the weight gradient (d_out x B)(B x d_in) and, above the first layer, the input cotangent
    (B x d_out)(d_out x d_in); plus the forward products of the two evaluations on all n rows, in
    blocks of 8192 rows (the shape a matrix product runs fastest at here, as lecture_code evaluates).
    """
    rng = np.random.default_rng(0)
    Ws = [rng.normal(size=(o, i)).astype(dtype) for i, o in zip(sizes[:-1], sizes[1:])]
    block = min(n, 8192)  # the evaluations in blocks of rows, at the rate of a cache-friendly shape
    full = [rng.normal(size=(block, i)).astype(dtype) for i in sizes[:-1]]
    xs = [rng.normal(size=(batch_size, i)).astype(dtype) for i in sizes[:-1]]
    us = [rng.normal(size=(batch_size, o)).astype(dtype) for o in sizes[1:]]
    updates = -(-n // batch_size)

    blocks = [block] * (n // block) + ([n % block] if n % block else [])

    def run():
        for rows in 2 * blocks:
            for X, W in zip(full, Ws):
                X[:rows] @ W.T
        for _ in range(updates):
            for k, (x, u, W) in enumerate(zip(xs, us, Ws)):
                x @ W.T
                u.T @ x
                if k:
                    u @ W

    flops = 2 * sum(i * o for i, o in zip(sizes[:-1], sizes[1:])) * (2 * n + 2 * updates * batch_size) \
        + 2 * sum(i * o for i, o in zip(sizes[1:-1], sizes[2:])) * updates * batch_size
    return run, flops


def case(name, sizes, X, Y, batch_size, repeats, lr=0.01):
    """One row per precision: lecture_code, PyTorch, and the share of the GEMM-bound time."""
    net = lc.mlp(sizes)
    order = training.batch_order(len(X), "minibatch", batch_size, 1, rng=0)[0]
    rows = []
    for dtype, torch_dtype in ((np.float64, torch.float64), (np.float32, torch.float32)):
        thetas = lc.params.tree_map(lambda a: a.astype(dtype), net.init(0))
        Xd, Yd = X.astype(dtype), Y.astype(dtype)

        def ours():
            return training.train(net, thetas, Xd, Yd, lc.losses.squared_error, batch_size=batch_size, lr=lr,
                                  epochs=1, rng=0)[1].train_loss[-1]

        theirs = torch_epoch(net, thetas, Xd, Yd, order, lr, torch_dtype)
        tol = 1e-9 if dtype is np.float64 else 1e-3  # the same run ends at the same loss
        assert abs(ours() - theirs()) <= tol * max(1.0, abs(theirs())), "lecture_code and PyTorch disagree"
        gemm, flops = gemm_epoch(sizes, len(X), batch_size, dtype)
        t_ours, t_torch, t_gemm = (median_time(f, repeats) for f in (ours, theirs, gemm))
        rows.append((np.dtype(dtype).name, t_ours, t_torch, t_gemm, flops))
    print(f"\n{name}: {len(order)} updates per epoch, {rows[0][4]:.2e} flops in its matrix products")
    print(f"  {'precision':<10}{'lecture_code':>14}{'PyTorch':>12}{'ratio':>8}{'GEMM alone':>13}"
          f"{'GEMM rate':>12}{'share of it':>13}")
    for precision, t_ours, t_torch, t_gemm, flops in rows:
        print(f"  {precision:<10}{t_ours * 1e3:11.1f} ms{t_torch * 1e3:9.1f} ms{t_ours / t_torch:8.2f}"
              f"{t_gemm * 1e3:10.1f} ms{flops / t_gemm / 1e9:7.0f} GF/s{t_gemm / t_ours:12.0%}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"python {platform.python_version()}, {platform.machine()}")

    X, y = data.load_concrete()
    parts = data.split(X, y, rng=0)
    scaler = data.fit_standardizer(parts.X_train)
    case("8-64-64-1, concrete training split (N = 722), B = 32", [8, 64, 64, 1],
         scaler.transform(parts.X_train), parts.y_train[:, None] / 10.0, 32, args.repeats)
    if not args.skip_large:
        rng = np.random.default_rng(0)
        Xl = rng.normal(size=(100_000, 8))
        Yl = np.sin(Xl[:, :1]) + 0.1 * rng.normal(size=(100_000, 1))
        case("8-512-512-1, synthetic (N = 100 000), B = 1024", [8, 512, 512, 1], Xl, Yl, 1024, 2)


if __name__ == "__main__":
    main()
