"""What the plotting tests measure on a figure: the width the book stores it at, its smallest font."""

import io
import struct

from matplotlib.text import Text


def saved_width(fig):
    """Width in pixels of the PNG the book stores at 1x: 100 dpi, bbox_inches="tight" (as the inline backend)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return struct.unpack(">I", buffer.getvalue()[16:20])[0]


def smallest_font(fig):
    """The smallest font size (points) of any visible text in the figure (drawn first: tick labels exist then)."""
    fig.canvas.draw()
    return min(t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text())
