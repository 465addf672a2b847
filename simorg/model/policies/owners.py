"""Owner policies: which team works an account's renewal, upsell or cross-sell (``org.renewals``,
``org.upsell``, ``org.cross_sell``).

An owner policy names its team and the team that stands in for an account that team does not
cover (account managers own only key accounts: the others stay with their CSM). Pay for the
motion goes to the owner (see ``pay.py``).
"""

from __future__ import annotations

from .registry import Registry


class Owner:
    """Base of owner policies: ``team`` works the motion; ``fallback`` when ``team`` does not
    cover the account."""

    team = "csm"
    covers_every_account = True  # False: only accounts with a person of ``team`` in charge

    def for_account(self, has_own_person: bool) -> str:
        """The team that works the motion of an account (``has_own_person``: the account has
        someone of :attr:`team` assigned, e.g. a key account's AM)."""
        if self.covers_every_account or has_own_person:
            return self.team
        return "csm"


RENEWAL_OWNERS: Registry[Owner] = Registry("renewal owner")
EXPANSION_OWNERS: Registry[Owner] = Registry("expansion owner")


@RENEWAL_OWNERS.register("csm")
@EXPANSION_OWNERS.register("csm")
class CSMOwns(Owner):
    """Customer success works it, in each CSM's book."""

    team = "csm"


@RENEWAL_OWNERS.register("ae", "sales")
@EXPANSION_OWNERS.register("ae", "sales")
class AEOwns(Owner):
    """Sales works it: the task waits in the AE queue like a deal (``sales`` is an alias)."""

    team = "ae"


@RENEWAL_OWNERS.register("am")
@EXPANSION_OWNERS.register("am")
class AMOwns(Owner):
    """Key accounts' own account manager works it; other accounts stay with their CSM."""

    team = "am"
    covers_every_account = False


@RENEWAL_OWNERS.register("renewal_specialist")
class RenewalSpecialistOwns(Owner):
    """A renewals-only team works it from its queue."""

    team = "renewal_specialist"
