"""The walker finds each policy-bearing property, resolved, and says where it came from."""

from __future__ import annotations

import json
from typing import Any

from .checks import check
from .policies import Resolver, statements
from .reference import load

ACCOUNT, REGION = "123456789012", "us-east-1"


def doc(*statement: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statement)}


PUBLISH = {"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": "Topic"}}
SERVICE = {"Service": "cloudwatch.amazonaws.com"}
TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app"}},
        "Secret": {"Type": "AWS::SecretsManager::Secret"},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "fn"}},
        "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": doc(PUBLISH)}},
        "Managed": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": doc({**PUBLISH, "Sid": "Managed"})},
        },
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": doc(
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": SERVICE}
                ),
                "Policies": [
                    {
                        "PolicyName": "Logs",
                        "PolicyDocument": doc(
                            {
                                "Effect": "Allow",
                                "Action": "logs:PutLogEvents",
                                "Resource": {"Fn::GetAtt": ["Group", "Arn"]},
                            }
                        ),
                    }
                ],
            },
        },
        "Key": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": doc(
                    {"Effect": "Allow", "Action": "kms:*", "Principal": SERVICE, "Resource": "*"}
                )
            },
        },
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "Topic"}],
                "PolicyDocument": doc({**PUBLISH, "Principal": SERVICE}),
            },
        },
        "Endpoint": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "PolicyDocument": doc(
                    {"Effect": "Allow", "Action": "*", "Principal": "*", "Resource": "*"}
                )
            },
        },
        "LogsPolicy": {
            "Type": "AWS::Logs::ResourcePolicy",
            "Properties": {
                "PolicyDocument": json.dumps(
                    doc(
                        {
                            "Effect": "Allow",
                            "Action": "logs:PutLogEvents",
                            "Principal": {"Service": "delivery.logs.amazonaws.com"},
                            "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app:*",
                        }
                    )
                )
            },
        },
        "Traces": {
            "Type": "AWS::XRay::ResourcePolicy",
            "Properties": {
                "PolicyDocument": {
                    "Fn::Join": [
                        "",
                        [
                            '{"Statement":[{"Effect":"Allow","Action":"xray:PutTraceSegments",'
                            '"Principal":{"Service":"delivery.logs.amazonaws.com"},'
                            '"Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"',
                            {"Ref": "AWS::AccountId"},
                            '"}}}]}',
                        ],
                    ]
                }
            },
        },
        "Repository": {
            "Type": "AWS::ECR::Repository",
            "Properties": {
                "RepositoryPolicyText": doc(
                    {
                        "Effect": "Allow",
                        "Action": ["ecr:BatchGetImage"],
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    }
                )
            },
        },
        "SecretPolicy": {
            "Type": "AWS::SecretsManager::ResourcePolicy",
            "Properties": {
                "SecretId": {"Ref": "Secret"},
                "ResourcePolicy": doc(
                    {
                        "Effect": "Deny",
                        "Action": "secretsmanager:GetSecretValue",
                        "Principal": "*",
                        "Resource": "*",
                    }
                ),
            },
        },
        "Permission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": "Fn"},
                "Principal": "bedrock-agentcore.amazonaws.com",
            },
        },
    }
}


def walk(template: dict[str, Any]) -> list[Any]:
    resolver = Resolver(template, stack="Stack", account=ACCOUNT, region=REGION)
    return list(statements("t", template, resolver))


def test_every_policy_bearing_property_is_read_with_its_origin() -> None:
    found = {(s.origin.logical_id, s.origin.path, s.origin.kind) for s in walk(TEMPLATE)}
    assert found == {
        ("Policy", "PolicyDocument", "identity"),
        ("Managed", "PolicyDocument", "identity"),
        ("Role", "AssumeRolePolicyDocument", "trust"),
        ("Role", "Policies[Logs]", "identity"),
        ("Key", "KeyPolicy", "resource"),
        ("TopicPolicy", "PolicyDocument", "resource"),
        ("Endpoint", "PolicyDocument", "resource"),
        ("LogsPolicy", "PolicyDocument", "resource"),
        ("Traces", "PolicyDocument", "resource"),
        ("Repository", "RepositoryPolicyText", "resource"),
        ("SecretPolicy", "ResourcePolicy", "resource"),
        ("Permission", "Action/Principal", "permission"),
    }


def test_statements_are_resolved_and_pass_the_checks() -> None:
    walked = {s.origin.logical_id: s for s in walk(TEMPLATE)}
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:Stack-Topic-G3N3RAT3D"
    assert walked["Policy"].statement["Resource"] == topic
    assert walked["Traces"].statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT}
    }
    assert walked["Permission"].statement == {
        "Effect": "Allow",
        "Action": "lambda:InvokeFunction",
        "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
    }
    assert (
        str(walked["Managed"])
        == "t Managed (AWS::IAM::ManagedPolicy PolicyDocument) statement 'Managed'"
    )
    assert check(load(), walked.values()) == []


def test_an_unresolvable_document_and_an_unread_policy_type_are_findings() -> None:
    template = {
        "Resources": {
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"PolicyDocument": doc({**PUBLISH, "Resource": {"Ref": "Gone"}})},
            },
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"RedrivePolicy": doc(PUBLISH)},  # not where SQS keeps policies
            },
        }
    }
    problems = [str(f) for f in check(load(), walk(template))]
    assert problems == [
        "t Policy (AWS::IAM::Policy PolicyDocument) statement #0: the document cannot be "
        "resolved: 'Gone'",
        "t Queue (AWS::SQS::Queue Properties) statement #0: holds a policy document the walker "
        "does not read",
    ]
