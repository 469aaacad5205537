"""Who the caller is, per inbound auth mode (agent/identity.py), and the actor encoding."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from agent.errors import InvocationError
from agent.identity import USER_ID_HEADER, IdentityPolicy, SingleIdentityHeaders, actor_for
from tests.doubles.cognito_tokens import APP_CLIENT, CLI_CLIENT, ISSUER, access_token

CLI, APP, OTHER = CLI_CLIENT, APP_CLIENT, "other-client-0003"
JWT = IdentityPolicy("jwt", ISSUER, frozenset({CLI, APP}))
IAM = IdentityPolicy("iam")
ACTOR = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-_/]*(?::[a-zA-Z0-9-_/]+)*[a-zA-Z0-9-_/]*")


def token(**claims) -> str:
    return access_token(**claims)


def test_jwt_the_user_is_the_verified_subject() -> None:
    caller = JWT.caller({"Authorization": token()})
    assert caller.actor_id == actor_for("5f1c2d3e-aaaa-bbbb-cccc-000000000001")
    assert JWT.caller({"Authorization": token(client_id=APP)}).source == "jwt"


def test_jwt_ignores_the_user_id_header() -> None:
    forged = {"Authorization": token(), USER_ID_HEADER: "bob"}
    assert JWT.caller(forged).actor_id == actor_for("5f1c2d3e-aaaa-bbbb-cccc-000000000001")
    assert JWT.caller({USER_ID_HEADER: "bob"}).actor_id is None, "a header alone is nobody"


def test_jwt_a_machine_client_is_not_a_user() -> None:
    assert JWT.caller({"Authorization": token(sub=CLI)}).actor_id is None


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (token(alg="none", signature=""), "not signed"),
        (token(signature=""), "not signed"),
        (token(client_id=OTHER), "a client this runtime does not allow"),
        (token(iss="https://evil.example.com"), "another issuer"),
        (token(token_use="id"), "not an access token"),
        (token(sub=12345), "no string subject"),
        (token(sub=None), "no string subject"),
        (token(exp=int(time.time()) - 3600), "expired"),
        (token(exp=float("nan")), "expired"),
        (token(exp=float("inf")), "expired"),
        (token(sub="\ud800evil"), "no string subject"),  # valid JSON, not encodable text
        ("Bearer a.b", "not a JWS"),
        ("Bearer !!!.???.x", "undecodable"),
    ],
)
def test_jwt_a_token_the_authorizer_would_refuse_is_refused(header, reason, caplog) -> None:
    with caplog.at_level("WARNING", logger="agent"), pytest.raises(InvocationError) as raised:
        JWT.caller({"authorization": header})
    assert (raised.value.status, raised.value.code) == (401, "untrusted_token")
    assert raised.value.message.startswith("The forwarded token could not have passed")
    (record,) = caplog.records
    assert record.fields["reason"].startswith(reason) and header[7:] not in record.getMessage()


def test_iam_the_user_is_the_for_user_id_and_authorization_is_ignored() -> None:
    assert IAM.caller({USER_ID_HEADER: "alice"}).actor_id == actor_for("alice")
    assert IAM.caller({"Authorization": token()}).actor_id is None
    assert IdentityPolicy().caller({USER_ID_HEADER: "alice"}).actor_id is None, "no auth: nobody"


def test_actor_ids_are_injective_and_fit_memorys_pattern() -> None:
    identities = [
        "john.doe@corp.com",
        "john-doe@corp.com",
        "john_2edoe@corp.com",
        "!!!",
        "???",
        "a" * 255 + "b",
        "a" * 255 + "c",
        "ユーザー",
        "u-x",
        "",
    ]
    actors = [actor_for(i) for i in identities]
    assert len(set(actors)) == len(actors), "distinct identities, distinct actors"
    for actor in actors:
        assert ACTOR.fullmatch(actor) and 1 <= len(actor) <= 255, actor


def test_machine_clients_are_told_apart_without_memory() -> None:
    cli, app = (JWT.caller({"Authorization": token(sub=c, client_id=c)}) for c in (CLI, APP))
    assert cli.actor_id is None and app.actor_id is None
    assert cli.owner != app.owner, "two machine clients never share a conversation"
    assert (
        JWT.caller({"Authorization": token()}).owner
        == JWT.caller({"Authorization": token()}).actor_id
    )


def test_iam_user_ids_are_read_as_the_utf8_the_caller_sent() -> None:
    as_received = "jöhn".encode().decode("latin-1")  # what an ASGI server hands over
    assert IAM.caller({USER_ID_HEADER: as_received}).actor_id == actor_for("jöhn")
    with pytest.raises(InvocationError) as raised:
        IAM.caller({USER_ID_HEADER: "\xff\xfe"})
    assert (raised.value.status, raised.value.code) == (400, "invalid_user_id")


def _through_guard(kind: str, headers: list[tuple[bytes, bytes]]) -> list[dict]:
    sent: list[dict] = []
    reached: list[str] = []

    async def app(scope, receive, send) -> None:
        reached.append(scope["type"])

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request"}

    scope = {"type": kind, "headers": headers}
    asyncio.run(SingleIdentityHeaders(app)(scope, receive, send))
    return sent if not reached else [{"reached": True}]


@pytest.mark.parametrize(
    "repeated",
    [
        [(b"authorization", b"Bearer a"), (b"Authorization", b"Bearer b")],
        [(USER_ID_HEADER.encode(), b"bob"), (USER_ID_HEADER.upper().encode(), b"alice")],
    ],
)
def test_a_repeated_identity_header_is_refused_on_every_transport(repeated) -> None:
    start, body = _through_guard("http", repeated)
    assert start["status"] == 401 and b'"ambiguous_identity"' in body["body"]
    assert b"Bearer" not in body["body"] and b"alice" not in body["body"]
    assert _through_guard("websocket", repeated) == [{"type": "websocket.close", "code": 1008}]
    assert _through_guard("http", repeated[:1]) == [{"reached": True}]
