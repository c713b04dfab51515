"""Chapter 4 self-checks."""

__all__ = []
