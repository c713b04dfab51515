"""Chapter 7 self-checks."""

__all__ = []
