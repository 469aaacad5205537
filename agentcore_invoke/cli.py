"""The ``agentcore-invoke`` command line.

agentcore-invoke --env dev --user alice "Where is order ORD-1234?"    (IAM: you name the user)
agentcore-invoke login --env prod                                      (JWT: you sign in)
agentcore-invoke --env prod --session <id> "And when will it arrive?"
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import uuid
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import InvokeError
from .outputs import StackOutputs, from_cloudformation, from_outputs_file
from .runtime_client import invoke
from .tokens import CALLBACK_PORT, UserTokens, default_cache_dir

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"
USER_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-User-Id"
QUALIFIER = r"DEFAULT|[a-zA-Z][a-zA-Z0-9_]{0,47}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="agentcore-invoke", description="Send a prompt to a deployed environment's agent."
    )
    parser.add_argument("prompt", help="what to ask the agent")
    parser.add_argument("--session", help="continue a conversation (33 to 256 characters)")
    parser.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds (default 300)")
    parser.add_argument(
        "--qualifier",
        help="runtime endpoint to invoke (default: the stack's Qualifier output, else DEFAULT)",
    )
    parser.add_argument(
        "--user",
        help="IAM environments: the end user you call for (InvokeAgentRuntimeForUser; your "
        "role needs it); the agent's memory is that user's",
    )
    _common(parser)
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


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default="dev", help="environment in cdk.json (default: dev)")
    parser.add_argument(
        "--outputs-file", type=Path, help="outputs JSON from `cdk deploy --outputs-file`"
    )
    parser.add_argument("--stack", help="stack name (default: from cdk.json)")
    parser.add_argument("--region", help="AWS region (default: from cdk.json)")
    parser.add_argument("--config", type=Path, default=CDK_JSON, help=argparse.SUPPRESS)


def parse_login_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="agentcore-invoke login",
        description="Sign in to a JWT environment as a user (in the browser, or for CI with a "
        "password where the environment allows it).",
    )
    parser.add_argument("--user", help="CI: sign in as this user without a browser")
    parser.add_argument(
        "--password-env",
        default="AGENTCORE_PASSWORD",
        help="CI: the variable holding the password (default AGENTCORE_PASSWORD)",
    )
    parser.add_argument("--no-browser", action="store_true", help="print the sign-in URL only")
    parser.add_argument(
        "--callback-port",
        type=int,
        default=CALLBACK_PORT,
        help=f"loopback port for the sign-in redirect (default {CALLBACK_PORT}; the app client "
        "must allow http://localhost:<port>/callback)",
    )
    _common(parser)
    return parser.parse_args(argv)


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


def user_tokens(outputs: StackOutputs) -> UserTokens:
    return UserTokens(
        domain_url=outputs.get("CognitoDomainUrl"),
        client_id=outputs.get("CognitoCliClientId"),
        cache_dir=default_cache_dir(),
    )


def authentication(
    outputs: StackOutputs, aws: Any, region: str | None, user: str | None
) -> tuple[Any, dict[str, str]]:
    """A signed-in user's JWT, or SigV4 with the caller's AWS credentials (and the user id
    ``--user`` names, which the runtime passes to the agent as the caller asserts it)."""
    if outputs.auth_mode == "iam":
        from agent.sigv4 import MissingCredentialsError, SigV4HttpxAuth

        auth = SigV4HttpxAuth(region=region or "us-east-1", credentials=aws.get_credentials)
        try:
            auth.frozen_credentials()
        except MissingCredentialsError:
            raise InvokeError(
                "no AWS credentials to sign the call (SigV4): configure them"
            ) from None
        return auth, ({USER_ID_HEADER: user} if user else {})
    if user is not None:
        raise InvokeError(
            "--user is for IAM environments; in a JWT environment you are the user you signed "
            "in as (`agentcore-invoke login`)"
        )
    return None, {"Authorization": f"Bearer {user_tokens(outputs).access_token()}"}


def login(argv: list[str], *, aws: Any = None, open_url: Any = webbrowser.open) -> None:
    args = parse_login_args(argv)
    with reported("agentcore-invoke login"):
        outputs, aws, region = deployed(args, aws)
        if outputs.auth_mode != "jwt":
            raise InvokeError(
                f"{args.env} uses IAM (SigV4): nothing to sign in to; pass --user to invoke"
            )
        tokens = user_tokens(outputs)
        if args.user:
            password = os.environ.get(args.password_env)
            if not password:
                raise InvokeError(f"set {args.password_env} to the password of {args.user}")
            tokens.login_password(
                aws.client("cognito-idp", region_name=region), args.user, password
            )
        else:

            def show(url: str) -> None:
                print(f"Sign in at: {url}", file=sys.stderr)
                if not args.no_browser:
                    open_url(url)

            tokens.login_browser(show, port=args.callback_port)
        print(f"signed in to {args.env}", file=sys.stderr)


@contextlib.contextmanager
def reported(prog: str) -> Iterator[None]:
    """Each failure is one line on stderr and exit status 1; Ctrl-C is 130."""
    try:
        yield
    except InvokeError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


def deployed(args: argparse.Namespace, aws: Any) -> tuple[StackOutputs, Any, str | None]:
    """The environment's stack outputs, the AWS session that read them, and the region."""
    stack_name, region = locate(args)
    if aws is None:
        import boto3

        aws = boto3.Session()
    return stack_outputs(args, aws, stack_name, region), aws, region


def stack_outputs(args: argparse.Namespace, aws: Any, stack_name: str, region: str | None):
    if args.outputs_file is not None:
        return from_outputs_file(args.outputs_file, stack_name)
    return from_cloudformation(
        aws.client("cloudformation", region_name=region), stack_name, args.env
    )


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
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["login"]:
        login(argv[1:], aws=aws)
        return
    args = parse_args(argv)
    with reported("agentcore-invoke"):
        outputs, aws, region = deployed(args, aws)
        auth, headers = authentication(outputs, aws, region, args.user)
        if outputs.auth_mode == "iam" and not args.user:
            print("no --user: the agent answers without memory (no verified user)", file=sys.stderr)
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


if __name__ == "__main__":
    main()
