"""Memory pieces moto does not serve (long-term retrieval) at the boundary we own: the exact
request sent to AgentCore, checked by botocore's Stubber against the service model."""

from __future__ import annotations

import asyncio
import base64
import json

import boto3
from botocore.stub import Stubber

from agent.conversation import _with_context
from agent.identity import actor_id
from agent.memory import MemoryStore, actor_id_from


def stubbed_client():
    client = boto3.client(
        "bedrock-agentcore",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return client, Stubber(client)


def test_long_term_records_come_from_the_actors_namespaces() -> None:
    client, stub = stubbed_client()
    stub.add_response(
        "retrieve_memory_records",
        {
            "memoryRecordSummaries": [
                {
                    "memoryRecordId": "mem-" + "0" * 40,
                    "content": {"text": "Prefers deliveries to the office."},
                    "memoryStrategyId": "preferences-AbCdEf1234",
                    "namespaces": ["/support/customer-1/preferences"],
                    "createdAt": "2026-11-01T00:00:00Z",
                }
            ]
        },
        {
            "memoryId": "m-AbCdEf1234",
            "namespace": "/support/customer-1/preferences",
            "searchCriteria": {"searchQuery": "Where is ORD-1234?", "topK": 5},
            "maxResults": 5,
        },
    )
    store = MemoryStore(
        "m-AbCdEf1234",
        region="us-east-1",
        timeout_seconds=2,
        namespaces=["/support/{actorId}/preferences"],
        client=client,
    )
    with stub:
        found = asyncio.run(store.relevant("customer-1", "s" * 40, "Where is ORD-1234?"))
    assert found == ["Prefers deliveries to the office."]
    stub.assert_no_pending_responses()


def test_retrieval_failure_leaves_the_turn_without_context() -> None:
    client, stub = stubbed_client()
    stub.add_client_error("retrieve_memory_records", "ThrottlingException")
    store = MemoryStore(
        "m-AbCdEf1234",
        region="us-east-1",
        timeout_seconds=2,
        namespaces=["/x/{actorId}"],
        client=client,
    )
    with stub:
        assert asyncio.run(store.relevant("a", "s" * 40, "hi")) == []


def test_without_strategies_nothing_is_retrieved() -> None:
    store = MemoryStore("m-AbCdEf1234", region="us-east-1", timeout_seconds=2, client=object())
    assert asyncio.run(store.relevant("a", "s", "hi")) == []


def test_context_joins_the_system_prompt() -> None:
    assert _with_context("Base.", []) == "Base."
    assert _with_context("Base.", ["Likes email."]).endswith("about this customer:\n- Likes email.")


def token(claims: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"Bearer eyJhbGciOiJSUzI1NiJ9.{body}.c2lnbmF0dXJl"


def test_the_actor_is_the_user_id_else_the_tokens_subject_else_default() -> None:
    assert (
        actor_id({"X-Amzn-Bedrock-AgentCore-Runtime-User-Id": "user@example.com"})
        == "user-example-com"
    )
    assert (
        actor_id({"Authorization": token({"sub": "7f3a-client", "client_id": "c"})})
        == "7f3a-client"
    )
    assert (
        actor_id({"authorization": token({"client_id": "machine-client-1"})}) == "machine-client-1"
    )
    assert actor_id({"Authorization": "Bearer not-a-jwt"}) == "default"
    assert actor_id({}) == "default"
    assert actor_id_from("../../etc") == "etc", "ids start with a letter or digit"
