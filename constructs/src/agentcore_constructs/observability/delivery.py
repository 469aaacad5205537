"""Vended-logs delivery of AgentCore resources, with the account-quota'd pieces shared per stack.

CloudWatch Logs allows 10 resource policies per account and region, X-Ray 5 per account, so
a policy per runtime stops deploying after a handful of agents. Here one stack-level
``DeliveryPolicies`` covers every delivering resource of the stack: the logs policy by a
log-group name prefix (:func:`vended_log_group_name`), the X-Ray policy by AgentCore resource
type in the account, so neither grows with the number of agents (both have a 5 KB limit).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Names, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_xray as xray
from constructs import Construct, IConstruct

from ..stack_env import StackAwareConstruct, stack_env, stack_singleton
from ..validation import is_token

LOG_GROUP_PREFIX = "/aws/vendedlogs/bedrock-agentcore"
DELIVERY_SERVICE = "delivery.logs.amazonaws.com"
# The AgentCore resource types that vend traces; the X-Ray policy accepts spans from these only.
TRACED_RESOURCE_TYPES = ("runtime", "gateway", "memory")
SHARED_ID = "AgentCoreDeliveryPolicies"
# Delivery source and destination names are at most 60 characters: short suffixes.
SUFFIXES = {"APPLICATION_LOGS": "app", "USAGE_LOGS": "usage", "TRACES": "traces"}
_COVERED_ATTRIBUTE = "_agentcore_covered"
_ARN_ATTRIBUTE = "_agentcore_arn"
_WAITS_ATTRIBUTE = "_agentcore_waits_for_policy"
_LAST_DELIVERY_ATTRIBUTE = "_agentcore_last_delivery"


def vended_log_group_name(scope: IConstruct, kind: str, name: str) -> str:
    """``/aws/vendedlogs/bedrock-agentcore/<stack>/<kind>/<name>``: the stack policy covers it."""
    return f"{LOG_GROUP_PREFIX}/{stack_env(scope).stack_name}/{kind}/{name}"


class DeliveryPolicies(StackAwareConstruct):
    """The stack's one logs resource policy and one X-Ray resource policy for log delivery.

    Created on first use by :func:`deliver`, covering this stack's log groups; each policy only
    once something in the stack needs it (no X-Ray slot without traces). With
    ``account_wide=True`` both are created and cover every stack's groups (deploy it once per
    account and region); stacks then set ``ObservabilityOptions(manage_delivery_policies=False)``
    and create none.
    """

    def __init__(self, scope: Construct, construct_id: str, *, account_wide: bool = False) -> None:
        super().__init__(scope, construct_id)
        stack = stack_env(self)
        self._conditions = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:*"
            },
        }
        prefix = (
            f"{LOG_GROUP_PREFIX}/" if account_wide else f"{LOG_GROUP_PREFIX}/{stack.stack_name}/"
        )
        self._group_name_prefix = prefix
        self._logs_statement = iam.PolicyStatement(
            sid="VendedLogsDelivery",
            principals=[iam.ServicePrincipal(DELIVERY_SERVICE)],
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[
                f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:{prefix}*"
            ],
            conditions=self._conditions,
        )
        self._logs_policy: logs.ResourcePolicy | None = None
        self._xray_policy: xray.CfnResourcePolicy | None = None
        if account_wide:
            _ = self.logs_policy, self.xray_policy

    @property
    def logs_policy(self) -> logs.ResourcePolicy:
        """Lets vended-logs delivery write streams of the covered log groups."""
        if self._logs_policy is None:
            self._logs_policy = logs.ResourcePolicy(
                self,
                "Logs",
                resource_policy_name=f"{Names.unique_id(self)[-200:]}",
                policy_statements=[self._logs_statement],
            )
        return self._logs_policy

    @property
    def xray_policy(self) -> xray.CfnResourcePolicy:
        """Lets vended-logs delivery put spans of this account's AgentCore resources."""
        if self._xray_policy is None:
            stack = stack_env(self)
            generating = [
                f"arn:{stack.partition}:bedrock-agentcore:{stack.region}:{stack.account}:{kind}/*"
                for kind in TRACED_RESOURCE_TYPES
            ]
            traces = iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        sid="VendedTracesDelivery",
                        principals=[iam.ServicePrincipal(DELIVERY_SERVICE)],
                        actions=["xray:PutTraceSegments"],
                        resources=["*"],
                        conditions={
                            **self._conditions,
                            "ForAllValues:ArnLike": {"logs:LogGeneratingResourceArns": generating},
                        },
                    )
                ]
            )
            self._xray_policy = xray.CfnResourcePolicy(
                self,
                "Traces",
                policy_name=f"{Names.unique_id(self)[-100:]}-traces",
                policy_document=stack.stack.to_json_string(traces.to_json()),
            )
        return self._xray_policy

    @classmethod
    def of(cls, scope: IConstruct) -> DeliveryPolicies:
        """The stack's policies, created on first call."""
        return stack_singleton(scope, SHARED_ID, cls)

    def cover(self, group: logs.ILogGroup) -> None:
        """Add a log group outside the stack's prefix (a group the user brought)."""
        if getattr(group, _COVERED_ATTRIBUTE, False):
            return
        # ``log_group_name`` is a Ref for groups made in this app: read the name they were given.
        resource = group.node.default_child
        given = resource.log_group_name if isinstance(resource, logs.CfnLogGroup) else None
        name = given if given is not None else group.log_group_name
        if not is_token(name) and name.startswith(self._group_name_prefix):
            return
        stack = stack_env(self)
        self._logs_statement.add_resources(
            f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:"
            f"{name}:log-stream:*"
        )


def vended_log_group(
    scope: Construct,
    kind: str,
    name: str,
    *,
    retention: logs.RetentionDays,
    removal_policy: RemovalPolicy,
) -> logs.LogGroup:
    """The ``Logs`` group of a delivering resource, named under the stack policy's prefix."""
    group = logs.LogGroup(
        scope,
        "Logs",
        log_group_name=vended_log_group_name(scope, kind, name),
        retention=retention,
        removal_policy=removal_policy,
    )
    setattr(group, _COVERED_ATTRIBUTE, True)  # the prefix covers it: no need to read its name
    return group


def _xray_destination(scope: IConstruct) -> logs.CfnDeliveryDestination:
    """One X-Ray delivery destination per stack: every traced resource delivers into it."""

    def create(stack: Stack, construct_id: str) -> logs.CfnDeliveryDestination:
        destination = logs.CfnDeliveryDestination(
            stack,
            construct_id,
            # Stack names are unique per account and region, as destination names must be.
            name=f"{stack_env(stack).stack_name[:42]}-agentcore-traces",
            delivery_destination_type="XRAY",
        )
        setattr(destination, _ARN_ATTRIBUTE, destination.attr_arn)  # read once per stack
        return destination

    return stack_singleton(scope, "AgentCoreTracesDestination", create)


def deliver(
    scope: Construct,
    *,
    resource_arn: str,
    name: str,
    log_groups: Mapping[str, logs.ILogGroup],
    traces: bool,
    manage_policies: bool = True,
) -> list[logs.CfnDelivery]:
    """Deliver ``resource_arn``'s logs (log type -> group) and optionally its traces.

    ``name`` prefixes the delivery sources and destinations, which are unique per account and
    region: use the resource's own (unique) name. CloudWatch Logs refuses concurrent
    ``CreateDelivery`` calls on one source or one destination (``ConflictException``, ERRATA
    39), so the deliveries of one resource are chained, and every delivery into the stack's
    shared X-Ray destination waits for the one before it.
    """
    policies = DeliveryPolicies.of(scope) if manage_policies else None
    destination_arns: dict[int, str] = {}  # by group object: several types may share a group
    deliveries: list[logs.CfnDelivery] = []

    def connect(log_type: str, destination_arn: str) -> logs.CfnDelivery:
        suffix = SUFFIXES.get(log_type, log_type.lower())
        label = suffix.capitalize()
        source_name = f"{name}-{suffix}"
        source = logs.CfnDeliverySource(
            scope,
            f"{label}Source",
            name=source_name,
            resource_arn=resource_arn,
            log_type=log_type,
        )
        delivery = logs.CfnDelivery(
            scope,
            f"{label}Delivery",
            delivery_source_name=source_name,
            delivery_destination_arn=destination_arn,
        )
        delivery.add_resource_dependency(source)
        if deliveries:
            delivery.add_resource_dependency(deliveries[-1])
        deliveries.append(delivery)
        return delivery

    for log_type, group in log_groups.items():
        if id(group) not in destination_arns:
            suffix = len(destination_arns) or ""
            destination = logs.CfnDeliveryDestination(
                scope,
                f"LogsDestination{suffix}",
                name=f"{name}-logs{suffix}",
                delivery_destination_type="CWL",
                destination_resource_arn=group.log_group_arn,
            )
            if policies is not None:
                policies.cover(group)
                destination.node.add_dependency(policies.logs_policy)
            destination_arns[id(group)] = destination.attr_arn
        connect(log_type, destination_arns[id(group)])
    if traces:
        destination = _xray_destination(scope)
        if policies is not None and not getattr(destination, _WAITS_ATTRIBUTE, False):
            destination.node.add_dependency(policies.xray_policy)
            setattr(destination, _WAITS_ATTRIBUTE, True)
        # Read once per stack on creation; a destination found in the tree is read here.
        traces_delivery = connect(
            "TRACES", getattr(destination, _ARN_ATTRIBUTE, None) or destination.attr_arn
        )
        previous = getattr(destination, _LAST_DELIVERY_ATTRIBUTE, None)
        if previous is not None:
            traces_delivery.add_resource_dependency(previous)
        setattr(destination, _LAST_DELIVERY_ATTRIBUTE, traces_delivery)
    return deliveries
