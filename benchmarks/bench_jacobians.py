"""Time the full Jacobian of an MLP: lecture_code (one pass of a one-hot basis) against torch.func, on the CPU.

    python benchmarks/bench_jacobians.py [--repeats 50]

For the lecture's 4-8-6-4-2 network and a 784-256-256-10 network (ReLU), at one
input x, it times
  - lc.jacobian_via_vjps (M VJPs: the M x M identity pulled back in one reverse sweep)
    against torch.func.jacrev (vmap over VJPs), and
  - lc.jacobian_via_jvps (D JVPs: the D x D identity pushed forward in one forward sweep)
    against torch.func.jacfwd (vmap over JVPs),
with the same parameters in float64, checks that the results agree, and prints
the median times and the ratio lecture_code / torch (<= 1.0: no slower).
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import torch

import lecture_code as lc
from lecture_code import torch_bridge as tb
from timing import median_time




def bench(sizes, repeats):
    net = lc.mlp(sizes, activation="relu")
    thetas = net.init(0)
    x = np.random.default_rng(1).normal(size=sizes[0])
    module = tb.twin(net, thetas, "cpu")
    xt = tb.to_torch(x, "cpu")
    jacrev, jacfwd = torch.func.jacrev(module), torch.func.jacfwd(module)

    J = net.jacobian(x, thetas)
    for name, ours, theirs in [
        ("M VJPs vs jacrev", lc.jacobian_via_vjps(net, x, thetas), jacrev(xt)),
        ("D JVPs vs jacfwd", lc.jacobian_via_jvps(net, x, thetas), jacfwd(xt)),
    ]:
        np.testing.assert_allclose(ours, tb.to_numpy(theirs), rtol=1e-10, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(ours, J, rtol=1e-10, atol=1e-12, err_msg=name)

    rows = []
    with torch.no_grad():
        for label, ours, theirs in [
            ("reverse: jacobian_via_vjps / jacrev", lambda: lc.jacobian_via_vjps(net, x, thetas), lambda: jacrev(xt)),
            ("forward: jacobian_via_jvps / jacfwd", lambda: lc.jacobian_via_jvps(net, x, thetas), lambda: jacfwd(xt)),
        ]:
            t_ours, t_torch = median_time(ours, repeats), median_time(theirs, repeats)
            rows.append((label, t_ours, t_torch, t_ours / t_torch))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"python {platform.python_version()}, {platform.machine()}")
    print(f"{'network':<16}{'strategy':<38}{'lecture_code':>14}{'torch.func':>14}{'ratio':>8}")
    worst = 0.0
    for sizes in ([4, 8, 6, 4, 2], [784, 256, 256, 10]):
        for label, t_ours, t_torch, ratio in bench(sizes, args.repeats):
            worst = max(worst, ratio)
            name = "-".join(map(str, sizes))
            print(f"{name:<16}{label:<38}{t_ours * 1e3:>11.3f} ms{t_torch * 1e3:>11.3f} ms{ratio:>8.2f}")
    print(f"largest ratio: {worst:.2f} ({'no slower than torch.func' if worst <= 1.0 else 'SLOWER than torch.func'})")


if __name__ == "__main__":
    main()
