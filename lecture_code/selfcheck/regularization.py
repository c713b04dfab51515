"""Chapter 6 self-checks: the weight-decay gradient (eq 33), Adam's L2 term against AdamW's decoupled
decay, a soft-threshold step, an inverted-dropout unit, and the epoch at which early stopping stops."""

from __future__ import annotations

import math

import numpy as np

from .. import regularization as _reg
from .._validate import (_is_int, as_array, finite_float, nonneg_float, positive_float, positive_int, probability,
                         shape_str)
from ..layers import Linear
from ..training import History
from ._report import report as _report

__all__ = ["weight_decay_gradient", "adaptive_decay", "soft_threshold", "dropout_unit", "early_stopping_epochs"]


def _answer(a, name, shape):
    """``a`` as a float array of ``shape``, or ``(None, hint)``."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"give {name} as an array of numbers, got {type(a).__name__}"
    if arr.shape != shape:
        return None, (f"{name} should have shape {shape_str(shape)} (like the parameter it belongs to), "
                      f"got {shape_str(arr.shape)}")
    return arr, None


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-12)


# -- exercise 1: the gradient of eq 33's penalty ---------------------------------------------------------

def weight_decay_gradient(W, b, lam, dW, db, biases: bool = True) -> bool:
    """Are ``(dW, db)`` the gradient of lambda (sum w^2 + sum b^2) (eq 33) at ``(W, b)``?

    W : (M, D), b : (M,); dW like W, db like b. With ``biases=False`` the penalty is
    lambda sum w^2 (common practice) and db should be 0.
    """
    W, b = as_array(W, "W"), as_array(b, "b")
    if W.ndim != 2 or 0 in W.shape or b.shape != (W.shape[0],):
        raise ValueError(f"weight_decay_gradient expects W of shape (M, D) with M, D >= 1 and b of shape (M,), "
                         f"got {shape_str(W.shape)} and {shape_str(b.shape)}")
    lam = nonneg_float(lam, "weight_decay_gradient", "lam")
    penalty = _reg.WeightDecay(lam, biases=biases)
    ref = penalty.grad(Linear(W.shape[1], W.shape[0]), {"W": W, "b": b})  # W, b: a Linear layer's weight and bias
    dW, hint = _answer(dW, "dW", W.shape)
    if hint is None:
        db, hint = _answer(db, "db", b.shape)
    if hint is not None:
        return _report(False, "", hint)
    if _close(dW, ref["W"]) and _close(db, ref["b"]):
        what = "2 lambda W and 2 lambda b" if biases else "2 lambda W, and 0 for the unpenalized biases"
        return _report(True, f"the penalty's gradient is {what}", "")
    lam = penalty.lam
    if _close(dW, lam * W):
        hint = ("the derivative of lambda w^2 is 2 lambda w: you have lambda w "
                "(the factor 2 is why PyTorch's weight_decay is 2 lambda)")
    elif _close(dW, 2 * W) and lam != 1:
        hint = "you left out lambda: the gradient of lambda sum w^2 is 2 lambda w"
    elif _close(dW, -2 * lam * W):
        hint = "the sign is flipped: the penalty grows with |w|, so its gradient 2 lambda w points away from 0"
    elif not _close(dW, ref["W"]):
        hint = "dW should be 2 lambda W: each weight w contributes lambda w^2 to the penalty"
    elif biases and _close(db, np.zeros_like(b)) and b.any():
        hint = "dW is right; eq 33 penalizes the biases too (lambda sum b^2), so db = 2 lambda b"
    elif not biases and _close(db, 2 * lam * b) and b.any():
        hint = "dW is right; with biases=False the biases are not in the penalty, so db = 0"
    else:
        hint = "dW is right; db should be " + ("2 lambda b" if biases else "0 (the biases are not penalized)")
    return _report(False, "", hint)


# -- exercise 2: weight decay in Adam (an L2 term) and in AdamW (decoupled) -------------------------------

def adaptive_decay(lr, wd, rms, adamw_factor, adam_factor, eps: float = 1e-8) -> bool:
    """Per update, the factor by which the decay alone multiplies each weight: AdamW and Adam's L2 term.

    rms : (n,) the weights' gradient RMS sqrt(v-hat), > 0; ``adamw_factor``: one number or (n,),
    1 - lr wd for every weight (AdamW decays the weights themselves); ``adam_factor`` : (n,),
    1 - lr wd / (sqrt(v-hat) + eps) (Adam's ``weight_decay`` adds wd theta to the gradient, and the
    step divides it by sqrt(v-hat) + eps; its running mean m-hat taken as wd theta). An answer
    that leaves out ``eps`` is as good.
    """
    caller = "adaptive_decay"
    lr = positive_float(lr, caller, "lr")
    wd = nonneg_float(wd, caller, "wd")
    rms = as_array(rms, "rms")
    if rms.ndim != 1 or rms.size == 0 or (rms <= 0).any():
        raise ValueError(f"{caller} expects rms to be a 1-D array of at least one gradient RMS > 0, "
                         f"got {rms!r:.80}")
    eps = positive_float(eps, caller, "eps")

    def full(value):
        return np.full(rms.shape, value)

    def adam_like(got, factor):
        """Does ``got`` equal ``factor(denominator)``, with sqrt(v-hat) + eps or sqrt(v-hat) alone?"""
        return any(_close(got, factor(d)) for d in (rms + eps, rms))

    if np.ndim(adamw_factor) == 0:
        try:
            adamw_factor = full(float(adamw_factor))
        except (TypeError, ValueError):
            return _report(False, "", f"give adamw_factor as a number or an array of numbers, got "
                                      f"{type(adamw_factor).__name__}")
    got_w, hint = _answer(adamw_factor, "adamw_factor", rms.shape)
    if hint is None:
        got_a, hint = _answer(adam_factor, "adam_factor", rms.shape)
    if hint is not None:
        return _report(False, "", hint)
    adamw_ref = full(1.0 - lr * wd)

    def adam(d):
        return 1.0 - lr * wd / d

    ok_w, ok_a = _close(got_w, adamw_ref), adam_like(got_a, adam)
    if ok_w and ok_a:
        ref = adam(rms)  # shown without eps
        good = (f"AdamW multiplies every weight by 1 - lr wd = {1 - lr * wd:.6g}; Adam's L2 term by "
                f"1 - lr wd / sqrt(v-hat), here {ref.min():.6g} to {ref.max():.6g}: the smaller a "
                f"weight's gradients, the stronger its decay")
        return _report(True, good, "")
    if not ok_w:
        if wd and _close(got_w, full(1.0 - 2 * lr * wd)):
            hint = ("wd is PyTorch's weight_decay (already 2 lambda): AdamW multiplies by 1 - lr wd, "
                    "without another factor 2")
        elif wd and adam_like(got_w, adam):
            hint = ("AdamW's decay does not go through sqrt(v-hat): it multiplies every weight by the "
                    "same 1 - lr wd, whatever its gradients")
        elif wd and _close(got_w, full(1.0 + lr * wd)):
            hint = "the decay pulls a weight towards 0: the factor is 1 - lr wd, below 1"
        elif _close(got_w, full(lr * wd)):
            hint = "lr wd is what the decay takes away; the factor that is left is 1 - lr wd"
        else:
            hint = "AdamW multiplies each weight by 1 - lr wd before its Adam step"
    elif wd and _close(got_a, adamw_ref):
        hint = ("that is AdamW's factor: Adam's L2 term is part of the gradient, so the step divides "
                "it by sqrt(v-hat) + eps like the data gradient: 1 - lr wd / (sqrt(v-hat) + eps)")
    elif wd and _close(got_a, 1.0 - lr * wd * rms):
        hint = "the step divides by sqrt(v-hat) + eps; it does not multiply by it"
    elif wd and any(_close(got_a, adam(d)) for d in (rms**2 + eps, rms**2)):
        hint = "divide by sqrt(v-hat), the gradient RMS itself, not by v-hat (its square)"
    elif wd and adam_like(got_a, lambda d: 1.0 - 2 * lr * wd / d):
        hint = "wd is PyTorch's weight_decay (already 2 lambda): no second factor 2"
    elif wd and adam_like(got_a, lambda d: 1.0 + lr * wd / d):
        hint = "the decay pulls a weight towards 0: the factor is 1 - lr wd / (sqrt(v-hat) + eps)"
    else:
        hint = "Adam's L2 term wd theta is divided by sqrt(v-hat) + eps: 1 - lr wd / (sqrt(v-hat) + eps)"
    return _report(False, "", hint)


# -- exercise 3: one soft-threshold (proximal) step --------------------------------------------------------

def soft_threshold(w, lr, lam, answer) -> bool:
    """Is ``answer`` the soft-threshold of the weights ``w`` by lr * lam: sign(w) max(|w| - lr lam, 0)?

    w : any shape; the answer has the same shape (see ``lc.regularization.L1.prox``).
    """
    w = as_array(w, "w")
    if w.size == 0:
        raise ValueError(f"soft_threshold expects w to hold at least one weight, got shape {shape_str(w.shape)}")
    lr = positive_float(lr, "soft_threshold", "lr")
    lam = nonneg_float(lam, "soft_threshold", "lam")
    # the weights as the weight matrix (1, size) of a Linear layer: L1.prox thresholds its W, not its b
    linear = Linear(w.size, 1)
    ref = _reg.L1(lam).prox(linear, {"W": w.reshape(1, -1), "b": np.zeros(1)}, lr)["W"].reshape(w.shape)
    got, hint = _answer(answer, "the answer", w.shape)
    if hint is not None:
        return _report(False, "", hint)
    if _close(got, ref):
        zeros = int((ref == 0).sum())
        good = f"every |w| shrinks by lr * lam = {lr * lam:g}; {zeros} of {w.size} weights land exactly on 0"
        return _report(True, good, "")
    t = lr * lam
    if _close(got, w - t * np.sign(w)):
        hint = ("a weight smaller than lr * lam must stop at 0, not cross it: "
                "use max(|w| - lr lam, 0) with the sign of w")
    elif _close(got, w * (np.abs(w) > t)):
        hint = ("the small weights are right (0), but the others must shrink by lr * lam too "
                "(soft, not hard, thresholding)")
    elif lr != 1 and _close(got, np.sign(w) * np.maximum(np.abs(w) - lam, 0.0)):
        hint = "the threshold is the step size times lambda, lr * lam, not lam alone"
    elif lam != 1 and _close(got, np.sign(w) * np.maximum(np.abs(w) - lr, 0.0)):
        hint = "the threshold is the step size times lambda, lr * lam, not lr alone"
    elif _close(got, np.maximum(np.abs(w) - t, 0.0)):
        hint = "keep the sign of each weight: sign(w) max(|w| - lr lam, 0)"
    else:
        hint = f"shrink every |w| by lr * lam = {t:g} towards 0, and set it to 0 where |w| <= {t:g}"
    return _report(False, "", hint)


# -- exercise 4: one unit under inverted dropout -------------------------------------------------------------

def dropout_unit(h, p, kept_value, expected_value) -> bool:
    """For a unit with activation ``h`` under inverted dropout with drop probability ``p``: is ``kept_value``
    its output when it is kept, and ``expected_value`` its mean output in training mode?

    Kept (probability 1 - p), the unit outputs h / (1 - p); dropped (probability p), 0; the mean is h.
    """
    h = finite_float(h, "dropout_unit", "h")
    p = probability(p, "dropout_unit", "p (the drop probability)", one=False)
    kept, mean = h / (1.0 - p), h
    try:
        got_kept, got_mean = float(kept_value), float(expected_value)
    except (TypeError, ValueError):
        return _report(False, "", f"give two numbers, got {kept_value!r:.40} and {expected_value!r:.40}")
    ok_kept = math.isclose(got_kept, kept, rel_tol=1e-9, abs_tol=1e-12)
    ok_mean = math.isclose(got_mean, mean, rel_tol=1e-9, abs_tol=1e-12)
    if ok_kept and ok_mean:
        good = f"kept, the unit outputs h / (1 - p) = {kept:g}; its mean (1 - p) h / (1 - p) + p * 0 = {mean:g} is h"
        return _report(True, good, "")
    if not ok_kept:
        if math.isclose(got_kept, h * (1 - p), rel_tol=1e-9) and p > 0:
            hint = "inverted dropout divides the kept unit by the keep probability 1 - p; it does not multiply by it"
        elif p != 0.5 and math.isclose(got_kept, h / p, rel_tol=1e-9):
            hint = ("p is the probability of dropping; a kept unit is scaled by 1 / (1 - p), "
                    "the inverse keep probability")
        elif math.isclose(got_kept, h, rel_tol=1e-9) and p > 0:
            hint = ("without scaling the mean would shrink to (1 - p) h; "
                    "inverted dropout scales a kept unit by 1 / (1 - p)")
        else:
            hint = "a kept unit is scaled by 1 / (1 - p)"
    elif p > 0 and math.isclose(got_mean, (1 - p) * h, rel_tol=1e-9):
        hint = "the kept value is right; the mean is (1 - p) times the kept value h / (1 - p), plus p * 0"
    else:
        hint = "the kept value is right; the mean is P(kept) * kept value + P(dropped) * 0"
    return _report(False, "", hint)


# -- exercise 5: when early stopping stops -----------------------------------------------------------------------

def _replay(losses, patience, min_delta):
    """``(stopped_epoch, restored_epoch)`` of ``EarlyStopping`` on the validation ``losses`` (epoch 0 first).

    The stopper is called as ``train`` calls it: first at epoch 0 with the starting parameters,
    then after every epoch. The parameters of epoch e are stood in for by ``{"epoch": e}``, so the
    restored epoch is read off the parameters the stopper keeps (those of epoch 0 when no epoch
    beats the start).
    """
    history, stopper = History(), _reg.EarlyStopping(patience, min_delta)
    for epoch, loss in enumerate(losses):
        history.record(epoch, loss, loss, epoch, 0.0)
        if stopper(epoch, {"epoch": epoch}, history):
            break
    return stopper.stopped_epoch, stopper.best_thetas["epoch"]


def early_stopping_epochs(val_losses, patience, min_delta, stopped, restored) -> bool:
    """With validation losses ``val_losses`` (entry e is epoch e; epoch 0 is before training), ``patience``
    and ``min_delta``: does training stop after epoch ``stopped`` (None: it never stops) and restore the
    parameters of epoch ``restored``?

    An epoch improves when its loss is below the best so far minus ``min_delta``; training stops after
    ``patience`` epochs in a row without improvement (as ``lc.regularization.EarlyStopping``). Epoch 0
    counts as the first best, so ``restored`` is 0 when no epoch beats the starting parameters.
    """
    losses = as_array(val_losses, "val_losses")
    if losses.ndim != 1 or losses.size < 2:
        raise ValueError(f"early_stopping_epochs expects val_losses to be a list of at least 2 losses (epoch 0 "
                         f"first), got shape {shape_str(losses.shape)}")
    patience = positive_int(patience, "early_stopping_epochs", "patience")
    min_delta = nonneg_float(min_delta, "early_stopping_epochs", "min_delta")
    ref_stop, ref_best = _replay(losses.tolist(), patience, min_delta)
    if stopped is not None and not _is_int(stopped):
        return _report(False, "", f"give stopped as an epoch number (an int) or None, got {stopped!r}")
    if restored is None:
        return _report(False, "", "some parameters are always restored: those of epoch 0, the starting parameters, "
                                  "when no epoch beats the start; give restored as an epoch number (an int)")
    if not _is_int(restored):
        return _report(False, "", f"give restored as an epoch number (an int), got {restored!r}")
    if stopped == ref_stop and restored == ref_best:
        when = f"stops after epoch {ref_stop}" if ref_stop is not None else "never stops"
        return _report(True, f"training {when} and restores epoch {ref_best}", "")
    plain_stop, plain_best = _replay(losses.tolist(), patience, 0.0)
    if ref_stop is None and stopped is not None:
        hint = (f"there are never {patience} epochs in a row without improvement, "
                "so training runs to the end: stopped = None")
    elif ref_stop is not None and stopped is None:
        hint = f"count the epochs since the last improvement: it reaches patience = {patience} before the list ends"
    elif restored == stopped and ref_best != ref_stop:
        hint = "the parameters restored are those of the best epoch, not those of the epoch training stopped at"
    elif min_delta > 0 and (stopped, restored) == (plain_stop, plain_best):
        hint = f"an epoch improves only if its loss is below the best so far by more than min_delta = {min_delta:g}"
    elif stopped is not None and ref_stop is not None and abs(stopped - ref_stop) == 1:
        hint = (f"off by one: training stops after the {patience}th epoch in a row without improvement "
                "(the epoch of the best loss itself does not count)")
    elif stopped == ref_stop:
        hint = ("the stopping epoch is right; restore the epoch with the best loss, "
                "counting only improvements by more than min_delta")
    else:
        hint = "go through the epochs keeping the best loss so far and a counter of epochs without improvement"
    return _report(False, "", hint)
