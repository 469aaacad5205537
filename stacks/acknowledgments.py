"""cdk-nag findings the app accepts for what it builds itself, each with a reviewer's reason.

The library's constructs acknowledge their own findings (the runtime's execution policy, for
one); this module covers the app's Cognito pool only.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge_user_pool(user_pool: IConstruct, *, mfa_required: bool) -> None:
    """What the pool leaves to the environment's config or to a paid feature plan."""
    plan = (
        "Threat protection (adaptive authentication, compromised credentials) needs Cognito's "
        "Plus feature plan, billed per monthly active user; users are created by an "
        "administrator (no self sign-up) and must be in the agent's group."
    )
    acknowledgments = [
        Acknowledgment(id="AwsSolutions::AwsSolutions-COG3", reason=plan),
        Acknowledgment(id="AwsSolutions::AwsSolutions-COG8", reason=plan),
    ]
    if not mfa_required:
        acknowledgments.append(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-COG2",
                reason="MFA (TOTP) is optional so command-line and CI users can sign in; set "
                "cognito.mfa to required for a customer-facing app.",
            )
        )
    Validations.of(user_pool).acknowledge(*acknowledgments)
