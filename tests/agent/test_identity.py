"""Who the caller is, per inbound auth mode (agent/identity.py), and the actor encoding."""

from __future__ import annotations

import re
import time

import pytest

from agent.errors import InvocationError
from agent.identity import USER_ID_HEADER, IdentityPolicy, actor_for
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
