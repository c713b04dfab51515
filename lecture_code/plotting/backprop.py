"""Chapter 4: figures of the reverse sweep."""

__all__ = []
