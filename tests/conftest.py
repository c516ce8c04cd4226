"""Shared pytest set-up: this file's folder goes on sys.path, so test modules in sub-folders can
import the independent reference implementations in ``tests/dpomdp_reference.py``."""
