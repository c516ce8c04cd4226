"""The import path ``games.dpomdp_catalog`` of earlier releases: the Dec-POMDP catalog now lives in
:mod:`games.dec_pomdp.catalog`; this module re-exports its public names so users' code keeps working."""

from games.dec_pomdp.catalog import *  # noqa: F403
from games.dec_pomdp.catalog import __all__  # noqa: F401
