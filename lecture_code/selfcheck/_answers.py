"""Which arguments of each self-check are the student's answer, and what a check does with a blank one.

The student editions of the chapters (``scripts/student_editions.py``) replace each
answer by a stub: ``...`` for a value, a function whose body is ``return ...``. A check
given such a stub prints ``Not answered yet: ...`` and returns ``False`` instead of
failing somewhere inside, so a student edition runs from top to bottom before any
exercise is done. ``ANSWERS`` names, for every check, the parameters that hold the
answer; the other parameters are the exercise's data, which the student edition keeps.
"""

from __future__ import annotations

import functools
import inspect
import types

ANSWERS = {
    # chapter 1
    "parameter_count": ("answer",), "composition": ("compose",), "batch_shapes": ("answer",),
    # chapter 2
    "softmax_jacobian": ("fn",), "activation_jacobian": ("fn",), "linear_relu_jacobian": ("answer",),
    "chain_jacobian": ("fn",),
    # chapter 3
    "products_needed": ("n_jvps", "n_vjps", "cheaper"), "jacobian_cost": ("answer",), "layer_vjp": ("vjp_fn",),
    # chapter 4
    "eq15_gradients": ("grads_fn",), "activation_vjp": ("vjp_fn",), "batch_linear_vjp": ("vjp_fn",),
    # chapter 5
    "updates_count": ("count_fn",), "inverse_rate": ("rate",), "sgd_update": ("update_fn",),
    "standardization": ("standardize_fn",), "adam_first_step": ("theta1",), "preserving_variance": ("var",),
    # chapter 6
    "weight_decay_gradient": ("dW", "db"), "adaptive_decay": ("adamw_factor", "adam_factor"),
    "soft_threshold": ("answer",), "dropout_unit": ("kept_value", "expected_value"),
    "early_stopping_epochs": ("stopped", "restored"),
    # chapter 7
    "r2_function": ("r2_fn",), "confusion_matrix_function": ("cm_fn",), "output_layers": ("answers",),
    "stable_softmax": ("softmax_fn",), "cross_entropy_gradient": ("grad_fn",),
    # chapter 8
    "conv_matrix_function": ("matrix_fn",), "scalar_bptt_function": ("grad_fn",),
    "rnn_state_cotangents": ("cotangents_fn",), "forget_bias_answer": ("b",), "clip_by_norm_function": ("clip_fn",),
    # chapter 9
    "fanout_by_hand": ("answer",), "new_operation": ("op_fn",), "backward_function": ("backward_fn",),
    # chapter 10
    "tanh_vjp_tangent": ("tangent_fn",), "largest_eigenvalue": ("answer",), "largest_stable_rate": ("rate",),
}

NOT_ANSWERED = "Not answered yet"


class _Blank(BaseException):
    """Raised out of a student's stub function; a ``BaseException`` so the checks' ``except Exception`` lets it by."""


def is_blank(value, depth: int = 0) -> bool:
    """Whether ``value`` is ``...`` or a list, tuple or dict holding one (the stub of an answer)."""
    if value is Ellipsis:
        return True
    if depth < 4 and isinstance(value, (list, tuple)):
        return any(is_blank(v, depth + 1) for v in value)
    if depth < 4 and isinstance(value, dict):
        return any(is_blank(v, depth + 1) for v in value.values())
    return False


def _guarded(fn):
    """``fn`` (a student's function), raising ``_Blank`` when it is still a stub (returns ``...`` or raises
    ``NotImplementedError``)."""

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except NotImplementedError as error:
            raise _Blank(fn.__name__) from error
        if is_blank(result):
            raise _Blank(fn.__name__)
        return result

    return guarded


def answer_check(check, answers):
    """``check`` that first reports a blank answer (``...``, or a stub function) as not answered yet."""
    signature = inspect.signature(check)
    unknown = [name for name in answers if name not in signature.parameters]
    if unknown:
        raise ValueError(f"answer_check expects parameters of {check.__name__}{signature}, got {unknown}")

    @functools.wraps(check)
    def checked(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        blank = [name for name in answers if name in bound.arguments and is_blank(bound.arguments[name])]
        if blank:
            names = [f"`{name}`" for name in blank]
            names = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            print(f"{NOT_ANSWERED}: replace the ... in {names} with your answer, then run the cell again")
            return False
        for name, value in bound.arguments.items():
            if isinstance(value, types.FunctionType):
                bound.arguments[name] = _guarded(value)
        try:
            return check(*bound.args, **bound.kwargs)
        except _Blank as blank_fn:
            print(f"{NOT_ANSWERED}: your function {blank_fn} is still a stub; write its body, then run the cell again")
            return False

    checked.answers = tuple(answers)
    return checked
