"""lecture_code.losses.loss_by_name: the losses the hyperparameter tables name (chapter 7)."""

import pytest

import lecture_code as lc
from lecture_code import models


def test_loss_by_name():
    assert lc.losses.loss_by_name("mse") is lc.losses.squared_error
    assert lc.losses.loss_by_name("mae") is lc.losses.mae
    assert lc.losses.loss_by_name("cross_entropy") is lc.losses.softmax_cross_entropy
    h = lc.losses.loss_by_name("huber", delta=0.3)
    assert isinstance(h, lc.losses.Huber) and h.delta == 0.3
    for d in (models.REGRESSION_DEFAULTS, models.CLASSIFICATION_DEFAULTS):
        for name in d.losses:
            lc.losses.loss_by_name(name)


def test_loss_by_name_rejects_bad_input():
    with pytest.raises(ValueError, match=r"loss_by_name expects name to be one of "
                                         r"\['cross_entropy', 'huber', 'mae', 'mse'\], got 'l2'"):
        lc.losses.loss_by_name("l2")
    with pytest.raises(ValueError, match="loss_by_name expects delta to be a finite number > 0, got 0"):
        lc.losses.loss_by_name("huber", delta=0)
