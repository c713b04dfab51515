"""Chapter 3 self-checks."""

__all__ = []
