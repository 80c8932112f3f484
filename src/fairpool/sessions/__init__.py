"""Durable labelling sessions (issue 12): a campaign's store, its commands, and the
exchange with Label Studio.

A placeholder until the session commands land: the package holds private modules only.
"""

from __future__ import annotations

__all__: list[str] = []
