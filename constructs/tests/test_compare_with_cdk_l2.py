"""The README's comparison with aws-cdk-lib's `aws_bedrockagentcore.Runtime` is what both
synthesize today. After a change to either, regenerate it:

    UPDATE_COMPARISON=1 pytest constructs/tests/test_compare_with_cdk_l2.py
    # or: python constructs/tests/comparison.py --write
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from comparison import (
    MANY,
    OURS,
    README,
    THEIRS,
    Comparison,
    compare,
    image_directory,
    readme_table,
    table,
    with_table,
)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Comparison:
    return compare(image_directory(tmp_path_factory.mktemp("image")))


def test_the_readme_table_is_generated(comparison: Comparison) -> None:
    generated = table(comparison)
    if os.environ.get("UPDATE_COMPARISON") == "1":
        README.write_text(with_table(README.read_text(), generated))
    assert readme_table(README.read_text()) == generated, (
        "README.md's comparison is stale: UPDATE_COMPARISON=1 pytest "
        "constructs/tests/test_compare_with_cdk_l2.py"
    )


def test_both_build_the_same_runtimes(comparison: Comparison) -> None:
    for kind in (OURS, THEIRS):
        assert comparison.one[kind].resources["AWS::BedrockAgentCore::Runtime"] == 1
        assert comparison.many[kind].resources["AWS::BedrockAgentCore::Runtime"] == MANY


def test_the_l2_grant_is_what_the_research_notes_say(comparison: Comparison) -> None:
    """aws-cdk-lib 2.275: both invoke actions, no WebSocket action, on the ARN and `/*`."""
    theirs = comparison.one[THEIRS]
    assert theirs.invoke_actions == (
        "bedrock-agentcore:InvokeAgentRuntime",
        "bedrock-agentcore:InvokeAgentRuntimeForUser",
    )
    assert theirs.invoke_resources == ("<runtime ARN>", "<runtime ARN>/*")


def test_our_grant_covers_every_action_the_l2_grants_but_naming_a_user(
    comparison: Comparison,
) -> None:
    """The L2 lets every invoker name any end user (``ForUser``); ours keeps that to
    ``grant_invoke_for_user``, so an invoker cannot act as another user's memory actor."""
    ours, theirs = comparison.one[OURS], comparison.one[THEIRS]
    for_user = {action for action in theirs.invoke_actions if action.endswith("ForUser")}
    assert for_user, "the L2 no longer grants ForUser: revisit this comparison"
    assert set(theirs.invoke_actions) - for_user <= set(ours.invoke_actions)
    assert not any(action.endswith("ForUser") for action in ours.invoke_actions)


def test_the_readme_has_the_markers() -> None:
    text = Path(README).read_text()
    readme_table(text)  # raises LookupError without them
