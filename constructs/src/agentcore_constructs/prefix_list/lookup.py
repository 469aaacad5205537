"""Find an AWS-managed prefix list's id by name (custom resource, inline Lambda code).

CloudFormation has no lookup for managed prefix lists, and a synth-time context lookup would
need AWS credentials. This function answers ``PrefixListId`` for ``PrefixListName`` on Create
and Update; Delete has nothing to undo. It is deployed as inline code (``ZipFile``), where
CloudFormation provides the ``cfnresponse`` module, so it needs no asset and no reply code.
"""

from __future__ import annotations

from typing import Any

import boto3
import cfnresponse  # provided by CloudFormation for inline (ZipFile) Python functions


class PrefixListNotFound(LookupError):
    """No managed prefix list by that name in this region."""


def find_prefix_list(ec2: Any, name: str) -> str:
    """The id of the prefix list called ``name`` (one per region for AWS services)."""
    lists = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [name]}]
    )["PrefixLists"]
    if not lists:
        raise PrefixListNotFound(f"no managed prefix list named {name} in this region")
    return lists[0]["PrefixListId"]


def handler(event: dict[str, Any], context: Any, ec2: Any = None) -> None:
    """Lambda entry point; always answers CloudFormation, so a failure never hangs the stack."""
    name = event.get("ResourceProperties", {}).get("PrefixListName", "")
    physical_id = event.get("PhysicalResourceId") or f"prefix-list:{name}"
    if event["RequestType"] == "Delete":
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical_id)
        return
    try:
        prefix_list_id = find_prefix_list(ec2 or boto3.client("ec2"), name)
    except Exception as error:  # reported to CloudFormation, which fails the deploy clearly
        reason = f"{type(error).__name__}: {error}"
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical_id, reason=reason)
        return
    cfnresponse.send(
        event, context, cfnresponse.SUCCESS, {"PrefixListId": prefix_list_id}, physical_id
    )
