"""The package version, in one place (the wrapper element carries it as data-version)."""

__version__ = "0.1.0"
