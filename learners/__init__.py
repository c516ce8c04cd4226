"""Learners over the models of :mod:`games`: the exact (tabular) tier in :mod:`learners.exact` and
the neural (PyTorch) tier in :mod:`learners.neural`: AgentMixer, MAGPO and their baselines."""
