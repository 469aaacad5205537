"""Where the deployed stack lives: its CloudFormation outputs, or a `cdk deploy --outputs-file`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .errors import InvokeError

REQUIRED = ("RuntimeArn", "InvokeUrl", "AuthMode")
JWT_REQUIRED = ("CognitoDomainUrl", "CognitoCliClientId", "CognitoUserPoolId")


@dataclass(frozen=True)
class StackOutputs:
    stack_name: str
    values: dict[str, str]

    @property
    def invoke_url(self) -> str:
        return self.values["InvokeUrl"]

    @property
    def qualifier(self) -> str:
        """The endpoint callers use; stacks from before the output existed used DEFAULT."""
        return self.values.get("Qualifier", "DEFAULT")

    def invoke_url_for(self, qualifier: str | None) -> str:
        """The invoke URL through ``qualifier`` (the stack's own endpoint when ``None``)."""
        url = httpx.URL(self.invoke_url)
        return str(url.copy_set_param("qualifier", qualifier or self.qualifier))

    @property
    def auth_mode(self) -> str:
        return self.values["AuthMode"]

    @property
    def protocol(self) -> str:
        """What the container serves; stacks from before the output existed served HTTP."""
        return self.values.get("Protocol", "HTTP")

    def get(self, key: str) -> str:
        return self.values[key]


def _checked(stack_name: str, values: dict[str, str]) -> StackOutputs:
    needed = REQUIRED + (JWT_REQUIRED if values.get("AuthMode") == "jwt" else ())
    missing = [key for key in needed if key not in values]
    if missing:
        raise InvokeError(
            f"stack {stack_name} has no output {', '.join(missing)}: redeploy it with this "
            "version of the app (cdk deploy)"
        )
    return StackOutputs(stack_name, values)


def from_cloudformation(cloudformation: Any, stack_name: str, env_name: str) -> StackOutputs:
    """Read outputs with ``describe_stacks``; errors become one actionable line."""
    from botocore.exceptions import ClientError, NoCredentialsError

    try:
        response = cloudformation.describe_stacks(StackName=stack_name)
    except NoCredentialsError:
        raise InvokeError(
            "no AWS credentials: configure them (aws configure, AWS_PROFILE or environment "
            "variables) to read the stack's outputs"
        ) from None
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        if "does not exist" in message:
            region = cloudformation.meta.region_name
            raise InvokeError(
                f"stack {stack_name} is not deployed in {region}: "
                f"run `cdk deploy -c env={env_name}` first"
            ) from None
        raise InvokeError(f"cannot read stack {stack_name}: {message}") from None
    (stack,) = response["Stacks"]
    values = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return _checked(stack_name, values)


def from_outputs_file(path: Path, stack_name: str) -> StackOutputs:
    """Read the JSON `cdk deploy --outputs-file` wrote."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise InvokeError(
            f"outputs file {path} does not exist: pass the file cdk deploy wrote"
        ) from None
    except json.JSONDecodeError as error:
        raise InvokeError(f"outputs file {path} is not JSON ({error.msg})") from None
    if stack_name not in document:
        known = ", ".join(sorted(document)) or "none"
        raise InvokeError(f"outputs file {path} has no stack {stack_name} (it has: {known})")
    return _checked(stack_name, document[stack_name])
