"""Time one epoch of mini-batch SGD: lecture_code against the same loop in PyTorch (eager, CPU).

    python benchmarks/bench_training.py [--repeats 7] [--skip-large]

Small case: an 8-64-64-1 ReLU MLP on the standardized concrete training split
(722 examples), B = 32 (23 updates). Large case: 8-512-512-1 on 100 000
synthetic examples, B = 1024 (98 updates). Both sides do the same work: a loss
evaluation on the whole training set, one epoch of updates in the same batch
order, and a second evaluation (what ``lecture_code.training.train(epochs=1)``
does). PyTorch runs in float64 (the same arithmetic) and in float32. Prints the
median time of each and the ratios lecture_code / PyTorch (<= 1.0: no slower).
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


def case(name, sizes, X, Y, batch_size, repeats, lr=0.01):
    net = lc.mlp(sizes)
    thetas = net.init(0)
    order = training.batch_order(len(X), "minibatch", batch_size, 1, rng=0)[0]

    def ours():
        return training.train(net, thetas, X, Y, lc.losses.squared_error, batch_size=batch_size, lr=lr,
                              epochs=1, rng=0)[1].train_loss[-1]

    # the same run ends at the same loss in float64
    assert abs(ours() - torch_epoch(net, thetas, X, Y, order, lr, torch.float64)()) < 1e-9
    t_ours = median_time(ours, repeats)
    print(f"{name}: {len(order)} updates per epoch; lecture_code {t_ours * 1e3:.2f} ms per epoch")
    for dtype in (torch.float64, torch.float32):
        t_torch = median_time(torch_epoch(net, thetas, X, Y, order, lr, dtype), repeats)
        print(f"  PyTorch {str(dtype).split('.')[-1]:<8} {t_torch * 1e3:9.2f} ms   ratio lecture_code / PyTorch = {t_ours / t_torch:.2f}")


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
