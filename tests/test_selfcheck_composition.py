"""Chapter 1's self-checks (lecture_code.selfcheck.composition): right answers pass, wrong ones get a useful hint."""

import pytest

from lecture_code import selfcheck


def test_parameter_count(capsys):
    assert selfcheck.parameter_count([4, 8, 6, 4, 2], 132)
    assert capsys.readouterr().out.startswith("Correct: 132 parameters")
    assert not selfcheck.parameter_count([4, 8, 6, 4, 2], 112)  # weights only
    assert "weights only" in capsys.readouterr().out
    assert not selfcheck.parameter_count([4, 8, 6, 4, 2], 132.0)
    assert "integer" in capsys.readouterr().out
    assert selfcheck.parameter_count([784, 256, 256, 10], 269322)


def test_composition(capsys):
    def right(*fs):
        def f(x):
            for g in reversed(fs):
                x = g(x)
            return x
        return f

    def reversed_order(*fs):
        def f(x):
            for g in fs:
                x = g(x)
            return x
        return f

    assert selfcheck.composition(right)
    assert not selfcheck.composition(reversed_order)
    assert "order is reversed" in capsys.readouterr().out
    assert not selfcheck.composition(lambda *fs: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_batch_shapes(capsys):
    assert selfcheck.batch_shapes([4, 8, 2], 32, [(32, 4), (32, 8), (32, 2)])
    assert not selfcheck.batch_shapes([4, 8, 2], 32, [(4, 32), (8, 32), (2, 32)])
    assert "N comes first" in capsys.readouterr().out
    assert not selfcheck.batch_shapes([4, 8, 2], 32, [(32, 4)])
    assert not selfcheck.batch_shapes([4, 8, 2], 32, "no idea")


@pytest.mark.parametrize("call,pattern", [
    (lambda: selfcheck.parameter_count([4], 1),
     r"parameter_count expects sizes to be a list of at least two layer widths"),
    (lambda: selfcheck.batch_shapes([4, 2], 0, []), r"batch_shapes expects n to be an integer >= 1, got 0"),
    (lambda: selfcheck.composition(3), r"composition expects your function compose\(f_K, ..., f_1\), got int"),
])
def test_selfcheck_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
