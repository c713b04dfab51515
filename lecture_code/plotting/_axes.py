"""What the plot functions of chapters 9 and 10 share: a column-wide axes and one finishing style."""

from __future__ import annotations

import matplotlib.pyplot as plt

MAX_WIDTH = 6.8  # inches: about 700 px at 100 dpi once bbox_inches="tight" adds its padding


def new_axes(ax, height):
    """``ax``, or a new column-wide axes ``height`` inches tall."""
    if ax is None:
        _, ax = plt.subplots(figsize=(MAX_WIDTH, height), layout="constrained")
    return ax


def finish(ax, title, default, legend=True):
    """Title (``default`` unless ``title`` is given), a light grid, 9-pt ticks and legend; returns ``ax``."""
    ax.set_title(default if title is None else title, fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    ax.tick_params(labelsize=9)
    if legend:
        ax.legend(fontsize=9, framealpha=0.9)
    return ax
