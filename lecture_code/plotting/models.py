"""Chapter 7: parity plots, confusion matrices, decision regions."""

__all__ = []
