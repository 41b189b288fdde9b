"""Check modules, one per family. Each module registers its rules on import.

``checks`` reads the stored snapshot only: it never fetches and never imports Scrapy.
"""

import importlib
import pkgutil

_INFRA = {"registry", "common", "computed", "inspection"}


def load_all() -> None:
    """Import every family module so that its checks register."""
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _INFRA and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
