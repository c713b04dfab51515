"""Chapter 5: training curves."""

__all__ = []
