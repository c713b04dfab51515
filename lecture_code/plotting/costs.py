"""Chapter 3: cost of forward and reverse mode."""

__all__ = []
