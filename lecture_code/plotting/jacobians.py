"""Chapter 2: heatmaps of Jacobians."""

__all__ = []
