"""Numerical checks of the seed papers' theorems (issue 4); one module per claim."""
