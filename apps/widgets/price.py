"""The widgets remote's price formatter, exposed as ``./PriceFormatter``.

It formats through ``money``, which the remote shares as a singleton: every app of the page
that formats a price (the catalog's list, the profile's credit) uses one instance of it, so
they agree on currency and rounding, whichever build offered it.
"""

from types import ModuleType
from typing import Any

from . import money as bundled_money

__version__ = "1.0.0"


def _host() -> Any:
    """``__federation__``: the host's loaders, which its Federation puts in our globals."""
    return globals()["__federation__"]


async def shared_money() -> ModuleType:
    """The page's one ``money`` (the share scope's singleton; this build's copy if alone)."""
    module: ModuleType = await _host().load_share(
        "money", singleton=True, required_version="^1.0", fallback=lambda: bundled_money
    )
    return module


async def format_price(cents: int) -> str:
    """``8900`` → ``€89.00``."""
    return (await shared_money()).format_cents(cents)


async def signature() -> str:
    """What the page shows under the prices: who formatted them."""
    money = await shared_money()
    return f"Prices by widgets {__version__} (money {money.__version__}, shared singleton)"
