"""Chapter 5 self-checks."""

__all__ = []
