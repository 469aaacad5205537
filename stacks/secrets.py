"""The agent's secrets from config: existing ones by name or ARN, or ones the stack creates."""

from __future__ import annotations

from aws_cdk import Acknowledgment, ArnFormat, RemovalPolicy, Stack, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager

from .config import EnvironmentConfig


def runtime_secrets(stack: Stack, config: EnvironmentConfig) -> dict[str, secretsmanager.ISecret]:
    secrets: dict[str, secretsmanager.ISecret] = {}
    for name, settings in config.runtime.secrets.items():
        key = (
            kms.Key.from_key_arn(stack, f"{name}Key", settings.kms_key_arn)
            if settings.kms_key_arn
            else None
        )
        if settings.create:
            secret = secretsmanager.Secret(
                stack,
                f"{name}Secret",
                description=f"{name} of the {config.stack_name} agent; put its value after deploy",
                encryption_key=key,
                removal_policy=RemovalPolicy.RETAIN
                if config.name == "prod"
                else RemovalPolicy.DESTROY,
            )
            Validations.of(secret).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-SMG4",
                    reason="A third-party API key: its issuer rotates it; the operator puts the "
                    "new value and the agent picks it up on its next refresh, without a restart.",
                )
            )
        elif settings.arn:
            secret = secretsmanager.Secret.from_secret_attributes(
                stack, f"{name}Secret", secret_complete_arn=settings.arn, encryption_key=key
            )
        else:
            assert settings.name is not None
            secret = secretsmanager.Secret.from_secret_attributes(
                stack,
                f"{name}Secret",
                secret_partial_arn=stack.format_arn(
                    service="secretsmanager",
                    resource="secret",
                    resource_name=settings.name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                ),
                encryption_key=key,
            )
        secrets[name] = secret
    return secrets
