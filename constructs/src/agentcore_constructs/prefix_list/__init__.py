"""The id of an AWS-managed prefix list (S3's, say), found at deploy time, never at synth."""

from .construct import ManagedPrefixList

__all__ = ["ManagedPrefixList"]
