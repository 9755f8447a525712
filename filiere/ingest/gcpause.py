"""The collector pause, kept under its old name: it now lives in :mod:`filiere.gcpause`."""

from filiere.gcpause import paused

__all__ = ["paused"]
