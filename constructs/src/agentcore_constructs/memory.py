"""``AgentMemory``: AgentCore Memory (``AWS::BedrockAgentCore::Memory``) and grants to use it.

Short-term memory is the events of each actor's sessions (kept ``event_expiry``); long-term
strategies distil them into records under namespaces built from ``{actorId}`` (and
``{sessionId}``), so one user's records are never another's. Every grant is on this memory's
ARN only.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnDeletionPolicy, Duration
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from .stack_env import StackAwareConstruct
from .validation import ProblemList, check_pattern, check_range

NAME_PATTERN = r"[a-zA-Z][a-zA-Z0-9_]{0,47}"
# The schema's namespace pattern; the service takes one namespace per strategy, 1-512 chars.
NAMESPACE_PATTERN = re.compile(r"[a-zA-Z0-9\-_/]*(\{[a-zA-Z][a-zA-Z0-9]*\}[a-zA-Z0-9\-_/]*)*")
NAMESPACE_VARIABLES = {"actorId", "sessionId", "memoryStrategyId"}
MAX_NAMESPACE_LENGTH = 512
EXPIRY_MIN_DAYS, EXPIRY_MAX_DAYS = 7, 365
MAX_STRATEGIES = 6
MAX_DESCRIPTION_LENGTH = 4096

WRITE_EVENTS = ("bedrock-agentcore:CreateEvent",)
READ_EVENTS = ("bedrock-agentcore:ListEvents", "bedrock-agentcore:GetEvent")
RETRIEVE_RECORDS = (
    "bedrock-agentcore:RetrieveMemoryRecords",
    "bedrock-agentcore:ListMemoryRecords",
    "bedrock-agentcore:GetMemoryRecord",
)
READ_STRATEGIES = ("bedrock-agentcore:GetMemory",)


class StrategyKind(enum.Enum):
    SEMANTIC = "semantic_memory_strategy"
    SUMMARY = "summary_memory_strategy"
    USER_PREFERENCE = "user_preference_memory_strategy"
    EPISODIC = "episodic_memory_strategy"


@dataclass(frozen=True)
class MemoryStrategy:
    """A built-in long-term strategy; create with ``semantic``, ``summary``,
    ``user_preference`` or ``episodic`` (each has a per-actor default namespace)."""

    kind: StrategyKind
    name: str
    namespace: str

    @classmethod
    def semantic(cls, name: str = "facts", namespace: str = "/facts/{actorId}") -> MemoryStrategy:
        """Facts stated in conversations, per user."""
        return cls(StrategyKind.SEMANTIC, name, namespace)

    @classmethod
    def summary(
        cls, name: str = "summaries", namespace: str = "/summaries/{actorId}/{sessionId}"
    ) -> MemoryStrategy:
        """A running summary of each session."""
        return cls(StrategyKind.SUMMARY, name, namespace)

    @classmethod
    def user_preference(
        cls, name: str = "preferences", namespace: str = "/preferences/{actorId}"
    ) -> MemoryStrategy:
        """Preferences a user expressed (channels, delivery, language)."""
        return cls(StrategyKind.USER_PREFERENCE, name, namespace)

    @classmethod
    def episodic(
        cls, name: str = "episodes", namespace: str = "/episodes/{actorId}"
    ) -> MemoryStrategy:
        """Episodes of interaction and what was learned from them."""
        return cls(StrategyKind.EPISODIC, name, namespace)

    def problems(self, index: int) -> list[tuple[str, object, str]]:
        where = f"strategies[{index}]"
        found: list[tuple[str, object, str]] = []
        if not re.fullmatch(NAME_PATTERN, self.name):
            found.append((f"{where}.name", self.name, f"must match {NAME_PATTERN}"))
        variables = set(re.findall(r"\{([^}]*)\}", self.namespace))
        if (
            not 1 <= len(self.namespace) <= MAX_NAMESPACE_LENGTH
            or not NAMESPACE_PATTERN.fullmatch(self.namespace)
            or variables - NAMESPACE_VARIABLES
        ):
            found.append(
                (
                    f"{where}.namespace",
                    self.namespace,
                    "1-512 characters of letters, digits, -_/ and the variables {actorId}, "
                    "{sessionId}, {memoryStrategyId}",
                )
            )
        if "actorId" not in variables:
            found.append(
                (
                    f"{where}.namespace",
                    self.namespace,
                    "must contain {actorId}: records are per user",
                )
            )
        return found

    def to_cfn(self) -> agentcore.CfnMemory.MemoryStrategyProperty:
        properties = {
            StrategyKind.SEMANTIC: agentcore.CfnMemory.SemanticMemoryStrategyProperty,
            StrategyKind.SUMMARY: agentcore.CfnMemory.SummaryMemoryStrategyProperty,
            StrategyKind.USER_PREFERENCE: agentcore.CfnMemory.UserPreferenceMemoryStrategyProperty,
            StrategyKind.EPISODIC: agentcore.CfnMemory.EpisodicMemoryStrategyProperty,
        }
        strategy: Any = properties[self.kind](name=self.name, namespace_templates=[self.namespace])
        return agentcore.CfnMemory.MemoryStrategyProperty(**{self.kind.value: strategy})


class AgentMemory(StackAwareConstruct):
    """Memory for agents: events per actor and session, optional long-term strategies.

    ``memory_name`` and ``encryption_key`` cannot change in place (create-only in the
    resource schema): CloudFormation replaces the memory, creating the new one before it
    deletes the old, and a memory's name is unique in the account, so changing the key alone
    fails that update (it rolls back; nothing is lost). Change the name with it: the new
    memory starts empty, and the old one is retained on replacement (``UpdateReplacePolicy:
    Retain``) so its events can still be read; delete it with ``DeleteMemory`` when done.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        memory_name: str,
        event_expiry: Duration | None = None,
        strategies: Sequence[MemoryStrategy] = (),
        encryption_key: kms.IKey | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        days = int((event_expiry or Duration.days(30)).to_days())
        self.strategies = tuple(strategies)
        self._validate(memory_name, days, description)
        self.encryption_key = encryption_key
        self.cfn_memory = agentcore.CfnMemory(
            self,
            "Resource",
            name=memory_name,
            event_expiry_duration=days,
            description=description,
            encryption_key_arn=encryption_key.key_arn if encryption_key else None,
            memory_strategies=[s.to_cfn() for s in self.strategies] or None,
        )
        self.cfn_memory.cfn_options.update_replace_policy = CfnDeletionPolicy.RETAIN
        self.cfn_memory.cfn_options.deletion_policy = CfnDeletionPolicy.DELETE  # said, not implied
        self.memory_arn: str = self.cfn_memory.attr_memory_arn
        self.memory_id: str = self.cfn_memory.attr_memory_id

    @property
    def namespaces(self) -> tuple[str, ...]:
        """Where long-term records are retrieved from (templates with ``{actorId}``)."""
        return tuple(s.namespace for s in self.strategies)

    def statements(self, *, retrieve: bool) -> list[iam.PolicyStatement]:
        """What an agent needs: write and read its events, and retrieve records if any."""
        actions = [*WRITE_EVENTS, *READ_EVENTS, *(RETRIEVE_RECORDS if retrieve else ())]
        return [
            iam.PolicyStatement(sid="MemoryEvents", actions=actions, resources=[self.memory_arn])
        ]

    def grant_write_events(self, grantee: iam.IGrantable) -> iam.Grant:
        return self._grant(grantee, WRITE_EVENTS)

    def grant_read_events(self, grantee: iam.IGrantable) -> iam.Grant:
        return self._grant(grantee, READ_EVENTS)

    def grant_retrieve(self, grantee: iam.IGrantable) -> iam.Grant:
        """Long-term records: search, list and read them."""
        return self._grant(grantee, RETRIEVE_RECORDS)

    def grant_read_strategies(self, grantee: iam.IGrantable) -> iam.Grant:
        """``GetMemory``: what SDKs call to discover the strategies and their namespaces."""
        return self._grant(grantee, READ_STRATEGIES)

    def _grant(self, grantee: iam.IGrantable, actions: Sequence[str]) -> iam.Grant:
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[self.memory_arn]
        )

    def _validate(self, name: str, days: int, description: str | None) -> None:
        problems = ProblemList(self)
        check_pattern(problems, "memory_name", name, NAME_PATTERN, f"must match {NAME_PATTERN}")
        check_range(problems, "event_expiry", days, EXPIRY_MIN_DAYS, EXPIRY_MAX_DAYS, "days")
        if description is not None and not 1 <= len(description) <= MAX_DESCRIPTION_LENGTH:
            problems.add("description", len(description), "must be 1 to 4096 characters")
        if len(self.strategies) > MAX_STRATEGIES:
            problems.add("strategies", len(self.strategies), f"at most {MAX_STRATEGIES}")
        names = [s.name for s in self.strategies]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            problems.add("strategies", duplicate, "strategy names must be unique")
        for index, strategy in enumerate(self.strategies):
            for prop, value, expected in strategy.problems(index):
                problems.add(prop, value, expected)
        problems.raise_if_any()
