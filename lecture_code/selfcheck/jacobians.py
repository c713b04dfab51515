"""Chapter 2 self-checks."""

__all__ = []
