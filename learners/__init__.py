"""Exact (tabular) and neural learners: AgentMixer, MAGPO and baselines (issues 4 and 5)."""
