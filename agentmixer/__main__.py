"""``python -m agentmixer``: the same command line as the ``agentmixer`` script."""

import sys

from agentmixer.cli import main

sys.exit(main())
