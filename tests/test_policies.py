"""Policies are strategy objects in registries; the schema's names come from the registries."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from simorg.model.policies import (
    EXPANSION_OWNERS,
    LEAD_ROUTING,
    RENEWAL_OWNERS,
    WORK_PRIORITY,
    Registry,
    UnknownPolicyError,
)
from simorg.scenario.introspect import literal_choices
from simorg.scenario.schema import Org, SDRTeam

from .helpers import ROOT, scenario


def test_unknown_policy_name_lists_the_registered_ones():
    with pytest.raises(UnknownPolicyError) as err:
        LEAD_ROUTING.get("by_mood")
    msg = str(err.value)
    assert "by_mood" in msg
    for name in ("round_robin", "least_loaded", "segment_pods"):
        assert name in msg


@pytest.mark.parametrize(("field", "registry"), [
    ("lead_routing", LEAD_ROUTING), ("renewals", RENEWAL_OWNERS), ("upsell", EXPANSION_OWNERS),
    ("cross_sell", EXPANSION_OWNERS)])
def test_schema_accepts_exactly_the_registered_names(field, registry):
    for name in registry.names():
        changes = {"org": {field: name}}
        if name == "am":
            changes["org"]["key_account_arr"] = 50000
            changes["teams"] = {"am": {"headcount": 1, "salary": 1}}
        if name == "renewal_specialist":
            changes["teams"] = {"renewal_specialist": {"headcount": 1, "salary": 1}}
        assert getattr(scenario(changes).org, field) == name
    with pytest.raises(ValidationError) as err:
        scenario({"org": {field: "nobody"}})
    for name in registry.names():
        assert repr(name) in str(err.value)


def test_sdr_work_order_names_come_from_the_work_priority_registry():
    assert set(WORK_PRIORITY.names()) >= {"newest_first", "oldest_first"}
    with pytest.raises(ValidationError) as err:
        scenario({"teams": {"sdr": {"work_order": "alphabetical"}}})
    assert "'newest_first'" in str(err.value) and "'oldest_first'" in str(err.value)


def test_generated_reference_lists_the_registered_names():
    assert literal_choices(Org.model_fields["lead_routing"].annotation) == list(LEAD_ROUTING.names())
    sdr_orders = WORK_PRIORITY.names(where=lambda cls: not cls.reads_pay)
    assert literal_choices(SDRTeam.model_fields["work_order"].annotation) == list(sdr_orders)
    assert "pay_per_day" in WORK_PRIORITY.names() and "pay_per_day" not in sdr_orders


def test_sales_is_an_alias_of_ae():
    assert RENEWAL_OWNERS.canonical("sales") == "ae"
    assert scenario({"org": {"renewals": "sales"}}).org.renewals == "ae"


def test_registering_twice_is_an_error_and_a_new_class_is_one_decorator():
    reg: Registry[object] = Registry("test rule")

    @reg.register("one")
    class One:
        pass

    assert reg.create("one").__class__ is One and "one" in reg and "two" not in reg
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("one")(One)


def test_am_owner_falls_back_to_csm_for_accounts_without_an_am():
    am = RENEWAL_OWNERS.create("am")
    assert am.for_account(True) == "am" and am.for_account(False) == "csm"
    assert RENEWAL_OWNERS.create("ae").for_account(False) == "ae"


def test_the_scenario_layer_does_not_import_simpy():
    code = "import sys, simorg.scenario, simorg.scenario.schema; print('simpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT)}, check=True)
    assert out.stdout.strip() == "False"
