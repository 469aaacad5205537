"""``agentcore-invoke``: talk to a deployed environment's agent from the terminal."""
