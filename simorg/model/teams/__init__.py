"""Team components, one module per team. The world builds them in this order (the order
of ``STAFF_ROLES``), wires them, and runs their monthly HR step in the same order."""

from __future__ import annotations

from .account_management import AccountManagement
from .ae import AE
from .base import BookTeam, TeamComponent
from .customer_success import CustomerSuccess
from .implementation import Implementation
from .marketing import Marketing
from .presales import Presales
from .renewal_specialist import RenewalSpecialists
from .sdr import SDR

__all__ = ["AE", "SDR", "AccountManagement", "BookTeam", "CustomerSuccess", "Implementation",
           "Marketing", "Presales", "RenewalSpecialists", "TeamComponent"]
