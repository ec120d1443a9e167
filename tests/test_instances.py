"""Model instances made without Model.__init__ (imports, the demo seeder) are
what the ORM would make: every field's default, the values given, unsaved."""

from leadgate.leads.models import Lead, Team
from leadgate.lib.instances import Instances


def test_it_fills_the_defaults_and_the_values_given():
    lead = Instances().new(Lead, email="ada@analytical.example")
    made = Lead(email="ada@analytical.example")
    assert (lead.email, lead.stage, lead.cycle) == (made.email, made.stage, made.cycle)
    assert lead._state.adding and lead.pk is None


def test_it_evaluates_a_callable_default_again_after_a_reset():
    instances = Instances()
    first = instances.new(Team)
    assert instances.new(Team).hours is first.hours  # kept: one dict per model
    instances.reset()
    assert instances.new(Team).hours is not first.hours
