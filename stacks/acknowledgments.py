"""cdk-nag findings the app accepts for what it builds itself, each with a reviewer's reason.

The library's constructs acknowledge their own findings (the runtime's execution policy, for
one); this module covers the app's Cognito pool only.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge_machine_user_pool(user_pool: IConstruct) -> None:
    """The pool only issues client-credentials tokens: user-facing controls do not apply."""
    reason_no_users = (
        "Machine-to-machine pool: no user signs up or signs in; the only app client "
        "authenticates with its secret through the client-credentials grant."
    )
    Validations.of(user_pool).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-COG2", reason=f"No MFA to require. {reason_no_users}"
        ),
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-COG3",
            reason=f"Threat protection evaluates user sign-ins. {reason_no_users}",
        ),
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-COG8",
            reason=f"The Plus feature plan adds user threat protection only. {reason_no_users}",
        ),
    )
