"""Chapter 6's self-checks (lecture_code.selfcheck.regularization)."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import torch_bridge as tb
from lecture_code.selfcheck import regularization as checks


# -- weight_decay_gradient -------------------------------------------------------------------------------

W = np.array([[0.5, -1.0, 0.3], [2.0, 0.0, -0.7]])
B = np.array([0.1, -0.3])


def test_weight_decay_check_accepts_the_autograd_gradient(device, capsys):
    lam = 0.05
    Wt, bt = tb.to_torch(W, device, requires_grad=True), tb.to_torch(B, device, requires_grad=True)
    (lam * (Wt.pow(2).sum() + bt.pow(2).sum())).backward()  # eq 33
    assert checks.weight_decay_gradient(W, B, lam, tb.to_numpy(Wt.grad), tb.to_numpy(bt.grad))
    assert capsys.readouterr().out.startswith("Correct:")
    Wt.grad = None
    (lam * Wt.pow(2).sum()).backward()  # weights only
    assert checks.weight_decay_gradient(W, B, lam, tb.to_numpy(Wt.grad), np.zeros(2), biases=False)
    assert not checks.weight_decay_gradient(W, B, lam, tb.to_numpy(Wt.grad), np.zeros(2))  # eq 33 needs db


@pytest.mark.parametrize("dW,db,biases,hint", [
    (0.05 * W, 0.05 * B, True, "you have lambda w"),
    (2 * W, 2 * B, True, "you left out lambda"),
    (-0.1 * W, -0.1 * B, True, "the sign is flipped"),
    (0.1 * W, np.zeros(2), True, "eq 33 penalizes the biases too"),
    (0.1 * W, 0.1 * B, False, "with biases=False the biases are not in the penalty, so db = 0"),
    (0.1 * W, 0.2 * B, True, "db should be 2 lambda b"),
    (0.1 * W.T, 0.1 * B, True, r"dW should have shape \(2, 3\)"),
    ("a", 0.1 * B, True, "give dW as an array of numbers"),
])
def test_weight_decay_check_names_the_mistake(dW, db, biases, hint, capsys):
    assert checks.weight_decay_gradient(W, B, 0.05, dW, db, biases=biases) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and re.search(hint, out), out


# -- adaptive_decay -----------------------------------------------------------------------------------------

def _torch_decay_factors(lr, wd, rms, theta, t=1000, b2=0.999, eps=1e-8):
    """Per weight, theta_new / theta after one torch.optim step on a zero data gradient: AdamW and Adam.

    Adam runs with beta1 = 0, so that its m-hat is exactly the L2 term wd theta, and with a second
    moment set so that v-hat after the step is rms^2: the factor is then exactly 1 - lr wd / (rms + eps).
    """
    factors = []
    for make in (torch.optim.AdamW, torch.optim.Adam):
        p = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
        opt = make([p], lr=lr, betas=(0.0, b2), eps=eps, weight_decay=wd)
        if make is torch.optim.Adam:
            v_old = ((1 - b2**t) * rms**2 - (1 - b2) * (wd * theta) ** 2) / b2
            assert (v_old > 0).all()
            opt.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": torch.zeros_like(p),
                            "exp_avg_sq": torch.tensor(v_old, dtype=torch.float64)}
        p.grad = torch.zeros_like(p)
        opt.step()
        factors.append(p.detach().numpy() / theta)
    return factors


def test_adaptive_decay_check_accepts_what_torch_optim_does(capsys):
    lr, wd = 0.001, 0.1
    rms, theta = np.array([0.001, 0.01, 0.1, 2.0]), np.array([0.05, -0.02, 0.5, -1.0])
    adamw, adam = _torch_decay_factors(lr, wd, rms, theta)
    assert_allclose(adamw, 1 - lr * wd, rtol=1e-15, err_msg="AdamW: the same factor for every weight")
    assert_allclose(adam, 1 - lr * wd / (rms + 1e-8), rtol=1e-12, err_msg="Adam: divided by sqrt(v-hat) + eps")
    assert checks.adaptive_decay(lr, wd, rms, adamw, adam)
    out = capsys.readouterr().out
    assert out.startswith("Correct:") and "0.9 to 0.99995" in out, out
    assert checks.adaptive_decay(lr, wd, rms, 1 - lr * wd, 1 - lr * wd / rms)  # one number; eps left out
    assert checks.adaptive_decay(lr, 0.0, rms, 1.0, np.ones(4))  # no decay: both factors 1


RMS = np.array([0.001, 0.1])
ADAM = 1 - 1e-4 / RMS  # lr = 0.001, wd = 0.1


@pytest.mark.parametrize("adamw,adam,hint", [
    (ADAM, ADAM, "AdamW's decay does not go through sqrt\\(v-hat\\)"),
    (0.9998, ADAM, "already 2 lambda\\): AdamW multiplies by 1 - lr wd"),
    (1.0001, ADAM, "the factor is 1 - lr wd, below 1"),
    (1e-4, ADAM, "lr wd is what the decay takes away"),
    (0.5, ADAM, "AdamW multiplies each weight by 1 - lr wd before its Adam step"),
    (0.9999, [0.9999, 0.9999], "that is AdamW's factor"),
    (0.9999, 1 - 1e-4 * RMS, "it does not multiply by it"),
    (0.9999, 1 - 1e-4 / RMS**2, "not by v-hat \\(its square\\)"),
    (0.9999, 1 - 2e-4 / RMS, "no second factor 2"),
    (0.9999, 1 + 1e-4 / RMS, "pulls a weight towards 0"),
    (0.9999, [0.5, 0.5], "is divided by sqrt\\(v-hat\\) \\+ eps"),
    ("a", ADAM, "give adamw_factor as a number or an array of numbers, got str"),
    (0.9999, [0.9], r"adam_factor should have shape \(2,\)"),
])
def test_adaptive_decay_check_names_the_mistake(adamw, adam, hint, capsys):
    assert checks.adaptive_decay(0.001, 0.1, RMS, adamw, adam) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and re.search(hint, out), out


# -- soft_threshold ---------------------------------------------------------------------------------------

def test_soft_threshold_check_accepts_the_proximal_minimizer(capsys):
    # the soft-threshold is argmin_w lam |w| + (w - w0)^2 / (2 lr): find it on a fine grid, independently
    w0, lr, lam = np.array([0.5, -0.05, 0.02, -0.3, 0.0, 0.12]), 0.1, 1.0
    grid = np.linspace(-1, 1, 200_001)
    argmin = np.array([grid[np.argmin(lam * np.abs(grid) + (grid - w) ** 2 / (2 * lr))] for w in w0])
    assert_allclose(argmin, [0.4, 0.0, 0.0, -0.2, 0.0, 0.02], atol=1e-5)
    assert checks.soft_threshold(w0, lr, lam, [0.4, 0.0, 0.0, -0.2, 0.0, 0.02])
    assert "3 of 6 weights land exactly on 0" in capsys.readouterr().out
    assert checks.soft_threshold(w0.reshape(2, 3), lr, lam, np.array([0.4, 0.0, 0.0, -0.2, 0.0, 0.02]).reshape(2, 3))


W0 = np.array([0.5, -0.05, 0.02, -0.3, 0.0, 0.12])


@pytest.mark.parametrize("answer,hint", [
    (W0 - 0.1 * np.sign(W0), "must stop at 0, not cross it"),
    (W0 * (np.abs(W0) > 0.1), "soft, not hard, thresholding"),
    (np.sign(W0) * np.maximum(np.abs(W0) - 0.5, 0.0), "the step size times lambda, lr \\* lam, not lam alone"),
    (np.maximum(np.abs(W0) - 0.1, 0.0), "keep the sign of each weight"),
    (2 * W0, "shrink every \\|w\\| by lr \\* lam = 0.1"),
    (np.zeros(5), r"should have shape \(6,\)"),
])
def test_soft_threshold_check_names_the_mistake(answer, hint, capsys):
    assert checks.soft_threshold(W0, 0.2, 0.5, answer) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and re.search(hint, out), out


# -- dropout_unit -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("h,p", [(3.0, 0.25), (-1.5, 0.5), (2.0, 0.0)])
def test_dropout_unit_check_accepts_what_torch_dropout_does(h, p, device, capsys):
    torch.manual_seed(0)
    out = F.dropout(tb.to_torch(np.full(100_000, h), device), p=p, training=True)
    values = torch.unique(out).tolist()
    kept = [v for v in values if v != 0.0]
    assert len(kept) == 1 and kept[0] == pytest.approx(h / (1 - p), rel=1e-15)
    assert float(out.mean()) == pytest.approx(h, abs=0.03)  # its mean over many units is h
    assert checks.dropout_unit(h, p, kept[0], h)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize("kept,mean,hint", [
    (3.0 * 0.75, 3.0, "divides the kept unit by the keep probability 1 - p"),
    (3.0 / 0.25, 3.0, "p is the probability of dropping"),
    (3.0, 3.0, "without scaling the mean would shrink"),
    (5.0, 3.0, "a kept unit is scaled by 1 / \\(1 - p\\)"),
    (4.0, 2.25, "the mean is \\(1 - p\\) times the kept value"),
    (4.0, 4.0, "the mean is P\\(kept\\)"),
    ("four", 3.0, "give two numbers"),
])
def test_dropout_unit_check_names_the_mistake(kept, mean, hint, capsys):
    assert checks.dropout_unit(3.0, 0.25, kept, mean) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and re.search(hint, out), out


# -- early_stopping_epochs ---------------------------------------------------------------------------------

def independent_early_stopping(losses, patience, min_delta):
    """(stopped, restored) written out directly from the rule, not with lc.regularization.EarlyStopping."""
    best, best_epoch, wait = losses[0], 0, 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < best - min_delta:
            best, best_epoch, wait = losses[epoch], epoch, 0
        else:
            wait += 1
            if wait == patience:
                return epoch, best_epoch
    return None, best_epoch


@pytest.mark.parametrize("seed", range(8))
def test_early_stopping_check_agrees_with_the_rule_written_out(seed, capsys):
    rng = np.random.default_rng(seed)
    losses = list(1.0 / np.arange(1, 31) + 0.05 * np.arange(30) / 30 + 0.02 * rng.random(30))
    patience, min_delta = int(rng.integers(1, 6)), float(rng.choice([0.0, 0.005, 0.02]))
    stopped, restored = independent_early_stopping(losses, patience, min_delta)
    assert checks.early_stopping_epochs(losses, patience, min_delta, stopped, restored)
    assert capsys.readouterr().out.startswith("Correct:")


def test_early_stopping_check_restores_the_start_when_no_epoch_beats_it(capsys):
    rising = [1.0, 1.1, 1.2, 1.3]  # the start is the best: EarlyStopping keeps the starting parameters
    assert independent_early_stopping(rising, 2, 0.0) == (2, 0)
    assert checks.early_stopping_epochs(rising, 2, 0.0, 2, 0)
    assert "restores epoch 0" in capsys.readouterr().out
    assert not checks.early_stopping_epochs(rising, 2, 0.0, 2, None)


def test_early_stopping_check_agrees_with_a_real_training_run(capsys):
    """train calls the stopper at epoch 0 and after every epoch: the check replays exactly that."""
    rng = np.random.default_rng(3)
    X, X_val = rng.normal(size=(40, 3)), rng.normal(size=(20, 3))
    w = np.array([[1.0], [-2.0], [0.5]])
    Y, Y_val = X @ w + 0.5 * rng.normal(size=(40, 1)), X_val @ w + 0.5 * rng.normal(size=(20, 1))
    net = lc.mlp([3, 16, 1])
    stopper = lc.regularization.EarlyStopping(patience=3, min_delta=0.001)
    _, history = lc.training.train(net, net.init(0), X, Y, lc.losses.squared_error, rng=1, batch_size=8, lr=0.3,
                                   epochs=60, validation=(X_val, Y_val), on_epoch_end=stopper)
    assert stopper.stopped_epoch is not None, "the run should overfit and stop"
    assert checks.early_stopping_epochs(history.val_loss, 3, 0.001, stopper.stopped_epoch, stopper.best_epoch)
    assert capsys.readouterr().out.startswith("Correct:")


LOSSES = [1.00, 0.80, 0.70, 0.69, 0.72, 0.695, 0.71, 0.73, 0.68, 0.75]  # P = 3, min_delta 0.02: stop 5, restore 2


@pytest.mark.parametrize("losses,stopped,restored,hint", [
    (LOSSES, 5, 5, "restored are those of the best epoch"),
    (LOSSES, 6, 3, "more than min_delta = 0.02"),
    (LOSSES, 4, 2, "off by one"),
    (LOSSES, 5, 3, "the stopping epoch is right"),
    (LOSSES, None, 2, "it reaches patience = 3 before the list ends"),
    ([1.0, 0.9, 0.8, 0.7], 3, 3, "training runs to the end: stopped = None"),
    (LOSSES, 5.0, 2, "give stopped as an epoch number"),
    (LOSSES, 8, 1, "keeping the best loss so far"),
    (LOSSES, 5, None, "those of epoch 0, the starting parameters, when no epoch beats the start"),
    (LOSSES, 5, 2.0, "give restored as an epoch number"),
])
def test_early_stopping_check_names_the_mistake(losses, stopped, restored, hint, capsys):
    assert checks.early_stopping_epochs(losses, 3, 0.02, stopped, restored) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and re.search(hint, out), out


@pytest.mark.parametrize("call,pattern", [
    (lambda: checks.weight_decay_gradient(np.ones(3), np.ones(3), 0.1, 0, 0),
     r"weight_decay_gradient expects W of shape \(M, D\) .*got \(3,\) and \(3,\)"),
    (lambda: checks.weight_decay_gradient(W, B, -1.0, W, B),
     r"weight_decay_gradient expects lam to be a finite number >= 0, got -1.0"),
    (lambda: checks.adaptive_decay(0.0, 0.1, RMS, 1.0, ADAM),
     r"adaptive_decay expects lr to be a finite number > 0, got 0.0"),
    (lambda: checks.adaptive_decay(0.001, -0.1, RMS, 1.0, ADAM),
     r"adaptive_decay expects wd to be a finite number >= 0, got -0.1"),
    (lambda: checks.adaptive_decay(0.001, 0.1, [0.0, 0.1], 1.0, ADAM),
     r"adaptive_decay expects rms to be a 1-D array of at least one gradient RMS > 0"),
    (lambda: checks.adaptive_decay(0.001, 0.1, [[0.1]], 1.0, ADAM),
     r"adaptive_decay expects rms to be a 1-D array"),
    (lambda: checks.adaptive_decay(0.001, 0.1, RMS, 1.0, ADAM, eps=0),
     r"adaptive_decay expects eps to be a finite number > 0, got 0"),
    (lambda: checks.soft_threshold(W0, 0.0, 1.0, W0), r"soft_threshold expects lr to be a finite number > 0, got 0.0"),
    (lambda: checks.soft_threshold(W0, 0.1, "big", W0),
     r"soft_threshold expects lam to be a finite number >= 0, got 'big'"),
    (lambda: checks.soft_threshold(W0, 0.1, -0.5, W0), r"soft_threshold expects lam to be a finite number >= 0, got -0.5"),
    (lambda: checks.soft_threshold(np.zeros(0), 0.1, 0.5, []),
     r"soft_threshold expects w to hold at least one weight, got shape \(0,\)"),
    (lambda: checks.dropout_unit(1.0, 1.0, 0.0, 1.0),
     r"dropout_unit expects p \(the drop probability\) to be a probability in \[0, 1\), got 1.0"),
    (lambda: checks.dropout_unit(float("nan"), 0.5, 0.0, 1.0),
     r"dropout_unit expects h to be a finite number, got nan"),
    (lambda: checks.early_stopping_epochs([1.0], 2, 0.0, None, 0),
     r"early_stopping_epochs expects val_losses to be a list of at least 2 losses .*, got shape \(1,\)"),
    (lambda: checks.early_stopping_epochs(LOSSES, 0, 0.0, None, 0),
     r"early_stopping_epochs expects patience to be an integer >= 1, got 0"),
    (lambda: checks.early_stopping_epochs(LOSSES, 2, -0.1, None, 0),
     r"early_stopping_epochs expects min_delta to be a finite number >= 0, got -0.1"),
])
def test_selfchecks_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
