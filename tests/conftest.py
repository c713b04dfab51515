import os

import pytest


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """Each PyTorch cross-check runs on every available device; a missing one is skipped with its reason."""
    from lecture_code import torch_bridge

    if request.param not in torch_bridge.available_devices():
        override = os.environ.get("LECTURE_DEVICE")
        reason = f"LECTURE_DEVICE={override} selects another device" if override else "no CUDA device on this machine"
        pytest.skip(f"{request.param}: {reason}")
    return request.param
