"""Policies: strategy objects in named registries, free of SimPy (the schema reads the names).

* :data:`~.routing.LEAD_ROUTING`: which free AE takes a deal (``org.lead_routing``).
* :data:`~.owners.RENEWAL_OWNERS`, :data:`~.owners.EXPANSION_OWNERS`: who works renewals,
  upsell and cross-sell (``org.renewals``, ``org.upsell``, ``org.cross_sell``).
* :data:`~.priority.WORK_PRIORITY`: in which order a team takes its work (``teams.sdr.work_order``).
* :data:`~.sharing.HOURS_SHARING`: how a person shares their hours over the work in hand
  (``teams.implementation.hours_sharing``, ``teams.presales.hours_sharing``).
"""

from __future__ import annotations

from .owners import EXPANSION_OWNERS, RENEWAL_OWNERS, Owner
from .priority import WORK_PRIORITY, WorkPriority
from .registry import Registry, UnknownPolicyError
from .routing import LEAD_ROUTING, Routing
from .sharing import HOURS_SHARING, HoursSharing

__all__ = ["EXPANSION_OWNERS", "HOURS_SHARING", "LEAD_ROUTING", "RENEWAL_OWNERS", "WORK_PRIORITY", "Owner", "HoursSharing", "Registry",
           "Routing", "UnknownPolicyError", "WorkPriority"]
