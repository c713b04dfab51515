"""lecture_code.timing: the wall time of each Jacobian strategy, measured in a fresh process."""

import pytest

from lecture_code import timing


def test_time_jacobians_returns_one_positive_time_per_network_and_mode():
    times = timing.time_jacobians([[3, 4, 2], [2, 2]], modes=["reverse", "forward", "dense"], repeat=2, rng=0)
    assert sorted(times) == ["dense", "forward", "reverse"]
    for mode, values in times.items():
        assert len(values) == 2 and all(isinstance(t, float) and 0 < t < 10 for t in values), mode


@pytest.mark.parametrize("call,pattern", [
    (lambda: timing.time_jacobians([], repeat=1, rng=0), r"time_jacobians expects a non-empty list of widths lists, got \[\]"),
    (lambda: timing.time_jacobians([[4, 2]], modes="forward", rng=0), r"expects modes to be a non-empty list .*got 'forward'"),
    (lambda: timing.time_jacobians([[4, 2]], modes=["fast"], rng=0), r"expects mode to be one of .*got 'fast'"),
    (lambda: timing.time_jacobians([[4, 2]], repeat=0, rng=0), r"time_jacobians expects repeat to be an integer >= 1, got 0"),
    (lambda: timing.time_jacobians([[4, 2]], threads=0, rng=0), r"time_jacobians expects threads to be an integer >= 1, got 0"),
    (lambda: timing.time_jacobians([[4, 2]], rng=-1), r"time_jacobians expects rng \(a seed\) to be an integer >= 0, got -1"),
    (lambda: timing.time_jacobians([[4, -2]], rng=0), r"expects sizes\[1\] to be an integer >= 1, got -2"),
])
def test_time_jacobians_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
