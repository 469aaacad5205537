"""What the gateway delivers to CloudWatch: its application logs and, optionally, traces."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..observability.delivery import deliver, vended_log_group
from ..stack_env import StackAwareConstruct

# The gateway vends one log type (AgentCore devguide, "AgentCore generated gateway
# observability data"); traces go to X-Ray through the stack's shared destination.
LOG_TYPE = "APPLICATION_LOGS"


@dataclass(frozen=True)
class GatewayObservability:
    """Log delivery and tracing of a gateway, on by default; ``enabled=False`` turns both off.

    Logs go to a log group of this stack kept ``log_retention`` (one month by default); traces
    go to X-Ray (the account needs CloudWatch Transaction Search enabled once to see them).
    The delivery resource policies are the stack's shared ones, as for ``AgentRuntime``;
    ``manage_delivery_policies=False`` relies on account-wide ``DeliveryPolicies``.
    """

    enabled: bool = True
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    log_removal_policy: RemovalPolicy = RemovalPolicy.DESTROY
    tracing: bool = True
    manage_delivery_policies: bool = True


class GatewayDelivery(StackAwareConstruct):
    """The gateway's log group and its deliveries (created by ``AgentGateway``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        gateway_arn: str,
        gateway_name: str,
        options: GatewayObservability,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = vended_log_group(
            self,
            "gateways",
            gateway_name,
            retention=options.log_retention,
            removal_policy=options.log_removal_policy,
        )
        self.deliveries = deliver(
            self,
            resource_arn=gateway_arn,
            # Delivery names are unique per account: keep clear of a runtime's of the same name.
            name=f"{gateway_name}-gw",
            log_groups={LOG_TYPE: self.log_group},
            traces=options.tracing,
            manage_policies=options.manage_delivery_policies,
        )
