"""Numerical checks of the seed papers' claims; one module per claim, each ``run() -> ClaimResult``.

Implemented: ``theorem1`` (asymmetric distillation, AgentMixer Thm 1), ``igc`` (Def. 6 and the
counterexample to the paper code's softmax modifier), ``magpo`` (MAGPO Thm 4.1 and a forward-KL
counterexample), ``climbing`` (NE, CE/CCE optima and polytope vertices, learning basins).
``agentmixer verify`` runs them and prints a PASS/FAIL table.
"""

from verification.result import Check, ClaimResult

__all__ = ["Check", "ClaimResult"]
