"""Reference data (agencies, districts, indicators, rules) and helpers every layer shares."""

from reference.catalog import Agency, Catalog, District, Indicator, Rule, load_catalog
from reference.text import fold

__all__ = ["Agency", "Catalog", "District", "Indicator", "Rule", "fold", "load_catalog"]
