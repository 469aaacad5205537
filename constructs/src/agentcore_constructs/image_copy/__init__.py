"""Idempotent copy of a container image into an ECR repository (a custom resource)."""

from .construct import EcrImageCopy

__all__ = ["EcrImageCopy"]
