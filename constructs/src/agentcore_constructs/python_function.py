"""The library's Lambda functions: Python 3.14 on arm64, code from a folder or inline, own log
group."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct


def python_function(
    scope: Construct,
    construct_id: str,
    *,
    directory: Path | None = None,
    inline_source: str | None = None,
    role: iam.IRole,
    log_group: logs.ILogGroup,
    timeout: Duration,
    memory_size: int,
    description: str,
) -> lambda_.Function:
    """``handler.handler`` in ``directory``, or ``handler`` in ``inline_source`` (deployed as
    ``ZipFile``, which gives it CloudFormation's ``cfnresponse`` module); lint-clean as the
    library's users lint it."""
    if (directory is None) == (inline_source is None):
        raise ValueError("python_function: give exactly one of directory and inline_source")
    code = (
        lambda_.Code.from_inline(inline_source)
        if inline_source is not None
        else lambda_.Code.from_asset(str(directory), exclude=["__pycache__"])
    )
    function = lambda_.Function(
        scope,
        construct_id,
        runtime=lambda_.Runtime.PYTHON_3_14,
        architecture=lambda_.Architecture.ARM_64,
        handler="index.handler" if inline_source is not None else "handler.handler",
        code=code,
        timeout=timeout,
        memory_size=memory_size,
        role=role,
        log_group=log_group,
        description=description,
    )
    # Function adds DependsOn its role, which the Role GetAtt already implies (cfn-lint W3005).
    cfn_function = function.node.default_child
    assert isinstance(cfn_function, lambda_.CfnFunction)
    cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
    return function
