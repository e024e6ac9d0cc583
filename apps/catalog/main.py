"""Catalog micro-app: renders the product list into its template when mounted."""

from typing import Any

PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("kb-1", "Mechanical keyboard", "89.00"),
    ("ms-2", "Wireless mouse", "35.50"),
    ("mn-3", "27-inch monitor", "249.00"),
    ("hd-4", "Noise-cancelling headphones", "129.90"),
    ("cm-5", "USB-C webcam", "59.00"),
)


def _clear(element: Any) -> None:
    for child in list(element):
        element.remove(child)
    element.text = None


def bootstrap(props: dict[str, Any]) -> None:
    """Nothing to prepare: products are rendered on each mount."""


def mount(props: dict[str, Any]) -> None:
    for listing in props["container"].cssselect("#catalog-list"):
        _clear(listing)
        for sku, title, price in PRODUCTS:
            item = listing.makeelement("li", {"class": "product", "data-sku": sku})
            item.text = title
            tag = item.makeelement("span", {"class": "product-price"})
            tag.text = f"€{price}"
            item.append(tag)
            listing.append(item)


def unmount(props: dict[str, Any]) -> None:
    for listing in props["container"].cssselect("#catalog-list"):
        _clear(listing)
