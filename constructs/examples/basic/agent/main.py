"""A minimal Strands agent served by the AgentCore Runtime SDK, with AgentCore Memory.

The stack passes MODEL_ID, MEMORY_ID and AGENT_REGION as environment variables.
"""

import os

from bedrock_agentcore.memory.integrations.strands.config import AgentCoreMemoryConfig
from bedrock_agentcore.memory.integrations.strands.session_manager import (
    AgentCoreMemorySessionManager,
)
from bedrock_agentcore.runtime import BedrockAgentCoreApp
from strands import Agent

app = BedrockAgentCoreApp()


@app.entrypoint
def invoke(payload: dict, context) -> dict:
    memory = AgentCoreMemorySessionManager(
        AgentCoreMemoryConfig(
            memory_id=os.environ["MEMORY_ID"],
            session_id=context.session_id or "default",
            # IAM-authorized callers are trusted to name the user; with a JWT authorizer, take
            # the actor from the verified token instead.
            actor_id=payload.get("user", "anonymous"),
        ),
        region_name=os.environ["AGENT_REGION"],
    )
    agent = Agent(model=os.environ["MODEL_ID"], session_manager=memory)
    return {"result": str(agent(payload["prompt"]))}


if __name__ == "__main__":
    app.run()
