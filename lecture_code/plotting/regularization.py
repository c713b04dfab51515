"""Chapter 6: figures of regularization."""

__all__ = []
