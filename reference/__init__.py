"""Reference data (agencies, districts, indicators, rules) and helpers every layer shares.

The catalogue is imported on first use: `chitieu status` and `sql` reach this package
through the domain model (`reference.model`) and need no catalogue.
"""

from typing import TYPE_CHECKING, Any

from reference.text import fold

if TYPE_CHECKING:
    from reference.catalog import Agency, Catalog, District, Indicator, Rule, load_catalog

__all__ = ["Agency", "Catalog", "District", "Indicator", "Rule", "fold", "load_catalog"]
_FROM_CATALOG = {"Agency", "Catalog", "District", "Indicator", "Rule", "load_catalog"}


def __getattr__(name: str) -> Any:
    if name in _FROM_CATALOG:
        from reference import catalog

        return getattr(catalog, name)
    raise AttributeError(f"module 'reference' has no attribute {name!r}")
