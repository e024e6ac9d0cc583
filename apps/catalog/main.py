"""Catalog micro-app: renders the product list into its template when mounted.

With a ``load_remote`` prop (an orchestrator given a ``Federation``) the prices are formatted
by the ``widgets`` remote's ``./PriceFormatter``; without one, here.
"""

from collections.abc import Awaitable, Callable
from typing import Any

PRODUCTS: tuple[tuple[str, str, int], ...] = (
    ("kb-1", "Mechanical keyboard", 8900),
    ("ms-2", "Wireless mouse", 3550),
    ("mn-3", "27-inch monitor", 24900),
    ("hd-4", "Noise-cancelling headphones", 12990),
    ("cm-5", "USB-C webcam", 5900),
)
PRICE_FORMATTER = "widgets/PriceFormatter"


def _clear(element: Any) -> None:
    for child in list(element):
        element.remove(child)
    element.text = None


def _local_price(cents: int) -> str:
    return f"€{cents / 100:.2f}"


def _render(container: Any, prices: list[str], signature: str) -> None:
    for listing in container.cssselect("#catalog-list"):
        _clear(listing)
        for (sku, title, _), price in zip(PRODUCTS, prices, strict=True):
            item = listing.makeelement("li", {"class": "product", "data-sku": sku})
            item.text = title
            tag = item.makeelement("span", {"class": "product-price"})
            tag.text = price
            item.append(tag)
            listing.append(item)
    for line in container.cssselect("#catalog-prices-by"):
        line.text = signature


async def _render_with_widgets(
    container: Any, load_remote: Callable[[str], Awaitable[Any]]
) -> None:
    formatter = await load_remote(PRICE_FORMATTER)
    prices = [await formatter.format_price(cents) for _, _, cents in PRODUCTS]
    _render(container, prices, await formatter.signature())


def bootstrap(props: dict[str, Any]) -> None:
    """Nothing to prepare: products are rendered on each mount."""


def mount(props: dict[str, Any]) -> Awaitable[None] | None:
    load_remote = props.get("load_remote")
    if load_remote is not None:
        return _render_with_widgets(props["container"], load_remote)
    prices = [_local_price(cents) for _, _, cents in PRODUCTS]
    _render(props["container"], prices, "Prices formatted locally")
    return None


def unmount(props: dict[str, Any]) -> None:
    for listing in props["container"].cssselect("#catalog-list"):
        _clear(listing)
