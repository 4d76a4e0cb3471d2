"""botwarden: a security-first orchestrator and runtime for Python RPA bots.

The package imports nothing heavy at import time; each capability lives in its
own sub-package and is imported where it is used.
"""

__version__ = "0.1.0"
