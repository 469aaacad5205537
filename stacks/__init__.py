"""Deployment units of the app: one stack per environment, wired from typed config."""
