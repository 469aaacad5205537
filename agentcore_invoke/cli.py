"""The ``agentcore-invoke`` command line.

agentcore-invoke --env dev "Where is order ORD-1234?"
agentcore-invoke --env prod --session <id> "And when will it arrive?"
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any

from .errors import InvokeError
from .outputs import StackOutputs, from_cloudformation, from_outputs_file
from .runtime_client import invoke
from .tokens import ClientCredentialsTokens, default_cache_dir

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"
QUALIFIER = r"DEFAULT|[a-zA-Z][a-zA-Z0-9_]{0,47}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="agentcore-invoke", description="Send a prompt to a deployed environment's agent."
    )
    parser.add_argument("prompt", help="what to ask the agent")
    parser.add_argument("--env", default="dev", help="environment in cdk.json (default: dev)")
    parser.add_argument("--session", help="continue a conversation (33 to 256 characters)")
    parser.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds (default 300)")
    parser.add_argument(
        "--outputs-file", type=Path, help="outputs JSON from `cdk deploy --outputs-file`"
    )
    parser.add_argument(
        "--qualifier",
        help="runtime endpoint to invoke (default: the stack's Qualifier output, else DEFAULT)",
    )
    parser.add_argument("--stack", help="stack name (default: from cdk.json)")
    parser.add_argument("--region", help="AWS region (default: from cdk.json)")
    parser.add_argument("--config", type=Path, default=CDK_JSON, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.session is not None and not 33 <= len(args.session) <= 256:
        parser.error(f"--session must be 33 to 256 characters (got {len(args.session)})")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    if args.qualifier is not None and not re.fullmatch(QUALIFIER, args.qualifier):
        parser.error(
            f"--qualifier {args.qualifier!r} is not an endpoint name: DEFAULT or a letter, then "
            "letters, digits and underscores (48 at most)"
        )
    return args


def new_session_id() -> str:
    """The service needs at least 33 characters; this gives 40."""
    return f"session-{uuid.uuid4().hex}"


def locate(args: argparse.Namespace) -> tuple[str, str | None]:
    """Stack name and region from cdk.json (the same config `cdk deploy` used)."""
    from stacks.config import ConfigError, load_environment

    try:
        context = json.loads(args.config.read_text())["context"]
        config = load_environment(context, args.env)
    except (OSError, KeyError, ValueError) as error:
        if isinstance(error, ConfigError):
            first_line = str(error).splitlines()[0]
            raise InvokeError(
                first_line.replace("pass -c env=<name>", "use --env <name>")
            ) from None
        raise InvokeError(f"cannot read {args.config}: {error}") from None
    return args.stack or config.stack_name, args.region or config.region


def authentication(
    outputs: StackOutputs, aws: Any, region: str | None
) -> tuple[Any, dict[str, str]]:
    """JWT from Cognito (client credentials) or SigV4 with the caller's AWS credentials."""
    if outputs.auth_mode == "iam":
        from agent.sigv4 import MissingCredentialsError, SigV4HttpxAuth

        auth = SigV4HttpxAuth(region=region or "us-east-1", credentials=aws.get_credentials)
        try:
            auth.frozen_credentials()
        except MissingCredentialsError:
            raise InvokeError(
                "no AWS credentials to sign the call (SigV4): configure them"
            ) from None
        return auth, {}
    cognito = aws.client("cognito-idp", region_name=region)

    def client_secret() -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            described = cognito.describe_user_pool_client(
                UserPoolId=outputs.get("CognitoUserPoolId"), ClientId=outputs.get("CognitoClientId")
            )
        except (ClientError, BotoCoreError) as error:
            raise InvokeError(
                f"cannot read the app client's secret from Cognito: {error}"
            ) from None
        return described["UserPoolClient"]["ClientSecret"]

    tokens = ClientCredentialsTokens(
        token_url=outputs.get("CognitoTokenUrl"),
        client_id=outputs.get("CognitoClientId"),
        client_secret=client_secret,
        scope=outputs.get("InvokeScope"),
        cache_dir=default_cache_dir(),
    )
    return None, {"Authorization": f"Bearer {tokens.access_token()}"}


def render(frames, *, as_json: bool, session_id: str) -> None:
    """Stream text to stdout as it arrives; tool calls to stderr; --json prints one object."""
    text: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    final: dict[str, Any] = {}
    for frame in frames:
        kind = frame.get("type")
        if kind == "text":
            text.append(frame["text"])
            if not as_json:
                print(frame["text"], end="", flush=True)
        elif kind == "tool_use":
            tool_calls.append({"name": frame.get("name"), "input": frame.get("input")})
            if not as_json:
                print(
                    f"[tool] {frame.get('name')} {json.dumps(frame.get('input'))}", file=sys.stderr
                )
        elif kind == "error":
            error = frame.get("error", {})
            raise InvokeError(
                f"the agent failed mid-answer: {error.get('code')}: {error.get('message')}"
            )
        elif kind == "final":
            final = frame
    response = final.get("response", "".join(text))
    if as_json:
        print(
            json.dumps(
                {
                    "session_id": session_id,
                    "response": response,
                    "tool_calls": final.get("tool_calls", tool_calls),
                }
            )
        )
    elif not text:
        print(response)
    else:
        print()


def protocol_client(protocol: str) -> Any:
    """The client for what the runtime serves (its Protocol output)."""
    from . import protocol_clients

    clients = {
        "HTTP": invoke,
        "A2A": protocol_clients.invoke_a2a,
        "MCP": protocol_clients.invoke_mcp,
        "AGUI": protocol_clients.invoke_agui,
    }
    if protocol not in clients:
        raise InvokeError(f"the runtime serves {protocol!r}, which this command does not speak")
    return clients[protocol]


def main(argv: list[str] | None = None, *, aws: Any = None) -> None:
    args = parse_args(argv)
    try:
        stack_name, region = locate(args)
        if aws is None:
            import boto3

            aws = boto3.Session()
        if args.outputs_file is not None:
            outputs = from_outputs_file(args.outputs_file, stack_name)
        else:
            outputs = from_cloudformation(
                aws.client("cloudformation", region_name=region), stack_name, args.env
            )
        auth, headers = authentication(outputs, aws, region)
        session_id = args.session or new_session_id()
        if not args.json:
            print(f"session: {session_id}  (continue with --session {session_id})", file=sys.stderr)
        client = protocol_client(outputs.protocol)
        frames = client(
            outputs.invoke_url_for(args.qualifier),
            args.prompt,
            session_id=session_id,
            auth=auth,
            headers=headers,
            timeout=args.timeout,
        )
        render(frames, as_json=args.json, session_id=session_id)
    except InvokeError as error:
        print(f"agentcore-invoke: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
