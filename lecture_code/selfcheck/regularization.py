"""Chapter 6 self-checks."""

__all__ = []
