"""A standalone stack, outside this app, that uses only the library."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr

ENV = cdk.Environment(account="111122223333", region="eu-west-1")


@pytest.fixture(scope="session")
def image_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("image")
    (directory / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.13-slim\n")
    return directory


@pytest.fixture
def new_stack() -> Callable[[], cdk.Stack]:
    def make() -> cdk.Stack:
        return cdk.Stack(cdk.App(), "PlatformStack", env=ENV)

    return make


@pytest.fixture
def repository_in(new_stack) -> Callable[[cdk.Stack], ecr.IRepository]:
    def make(stack: cdk.Stack) -> ecr.IRepository:
        return ecr.Repository.from_repository_name(stack, "Repo", "platform/agents")

    return make
