"""Catalog micro-app: the store's products, rendered into its template by route.

It reads ``location.pathname`` (as the profile app reads the query): ``/`` shows the featured
tiles, ``/catalog`` every tile, ``/product/<id>`` one product (or "no such product"). Each tile
links to its product page. With a ``load_remote`` prop (an orchestrator given a ``Federation``)
the prices are formatted by the ``widgets`` remote's ``./PriceFormatter``; without one, here.
Staying mounted across a navigation (``/`` to ``/catalog``), it renders the new route.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    cents: int
    blurb: str


PRODUCTS: tuple[Product, ...] = (
    Product("1", "Mechanical keyboard", 8900, "Tactile switches, a full-size layout, USB-C."),
    Product("2", "Wireless mouse", 3550, "Six buttons, a silent scroll wheel, 70 days a charge."),
    Product("3", "27-inch monitor", 24900, "QHD at 144 Hz on an adjustable stand."),
    Product("4", "Noise-cancelling headphones", 12990, "Over-ear, 30 hours, folds flat."),
    Product("5", "USB-C webcam", 5900, "1080p with a privacy shutter and two microphones."),
)
FEATURED = 3
"""How many tiles the home page shows."""
HOME_INTRO = "Picked for you today: each tile opens its product page."
PRICE_FORMATTER = "widgets/PriceFormatter"
_PRODUCT_PATH = "/product/"
_views: list["_View"] = []


def _clear(element: Any) -> None:
    for child in list(element):
        element.remove(child)
    element.text = None


def _local_price(cents: int) -> str:
    return f"€{cents / 100:.2f}"


def _child(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = parent.makeelement(tag, {k.rstrip("_"): v for k, v in attrs.items()})
    element.text = text
    parent.append(element)
    return element


@dataclass
class _View:
    """One mounted catalog: its container, the prices (formatted once) and who formatted them."""

    container: Any
    prices: dict[str, str]
    signature: str
    intro: str | None = None
    """The template's intro line (the list's), kept for when the route changes back."""
    signal: Any = None
    receiver: Callable[..., None] | None = None

    def __post_init__(self) -> None:
        for intro in self.container.cssselect(".catalog-intro"):
            self.intro = intro.text

    def render(self, pathname: str) -> None:
        path = pathname.rstrip("/") or "/"
        wanted = path[len(_PRODUCT_PATH) :] if path.startswith(_PRODUCT_PATH) else None
        products = PRODUCTS[:FEATURED] if path == "/" else PRODUCTS
        for section in self.container.cssselect("section.catalog"):
            view = "home" if path == "/" else "list" if wanted is None else "product"
            section.set("data-view", view)
        for title in self.container.cssselect("#catalog-title"):
            title.text = "Featured" if path == "/" else "Catalog"
        for intro in self.container.cssselect(".catalog-intro"):
            intro.text = HOME_INTRO if path == "/" else self.intro
            if wanted is None:
                intro.attrib.pop("hidden", None)
            else:
                intro.set("hidden", "hidden")
        for listing in self.container.cssselect("#catalog-list"):
            _clear(listing)
            for product in () if wanted else products:
                self._tile(listing, product)
        for more in self.container.cssselect("#catalog-more"):
            _clear(more)
            if path == "/":
                _child(more, "a", f"All {len(PRODUCTS)} products →", href="/catalog")
        for detail in self.container.cssselect("#product-detail"):
            _clear(detail)
            if wanted is not None:
                self._detail(detail, wanted)
        for line in self.container.cssselect("#catalog-prices-by"):
            line.text = self.signature

    def _tile(self, listing: Any, product: Product) -> None:
        item = _child(listing, "li", class_="product", **{"data-id": product.id})
        _child(item, "a", product.title, class_="product-link", href=f"/product/{product.id}")
        _child(item, "span", self.prices[product.id], class_="product-price")

    def _detail(self, detail: Any, wanted: str) -> None:
        product = next((p for p in PRODUCTS if p.id == wanted), None)
        if product is None:
            detail.set("data-product", "")
            note = _child(detail, "p", None, class_="product-missing", role="alert")
            note.text = f"No such product: {wanted}. "
            _child(note, "a", "See the whole catalog", href="/catalog")
            return
        detail.set("data-product", product.id)
        _child(detail, "h2", product.title, class_="product-title")
        _child(detail, "p", product.blurb, class_="product-blurb")
        _child(detail, "p", self.prices[product.id], class_="product-price product-detail-price")
        _child(detail, "a", "← Back to the catalog", class_="product-back", href="/catalog")

    def follow(self, orchestrator: Any) -> None:
        """Render again on each navigation while mounted (single-spa keeps an app mounted
        across routes it is active on)."""

        def on_route(sender: Any, **detail: Any) -> None:
            self.render(sender.location.pathname)

        self.signal = orchestrator.events.signal("routing-event")
        self.receiver = on_route
        self.signal.connect(on_route, sender=orchestrator, weak=False)


async def _widget_prices(
    load_remote: Callable[[str], Awaitable[Any]],
) -> tuple[dict[str, str], str]:
    formatter = await load_remote(PRICE_FORMATTER)
    prices = {p.id: await formatter.format_price(p.cents) for p in PRODUCTS}
    return prices, await formatter.signature()


def _show(props: dict[str, Any], prices: dict[str, str], signature: str) -> None:
    view = _View(props["container"], prices, signature)
    orchestrator = props.get("orchestrator")
    location = getattr(orchestrator, "location", None)
    view.render(getattr(location, "pathname", "/catalog"))
    if orchestrator is not None and hasattr(orchestrator, "events"):
        view.follow(orchestrator)
    _views.append(view)


async def _show_with_widgets(
    props: dict[str, Any], load_remote: Callable[[str], Awaitable[Any]]
) -> None:
    prices, signature = await _widget_prices(load_remote)
    _show(props, prices, signature)


def bootstrap(props: dict[str, Any]) -> None:
    """Nothing to prepare: products are rendered on each mount."""


def mount(props: dict[str, Any]) -> Awaitable[None] | None:
    load_remote = props.get("load_remote")
    if load_remote is not None:
        return _show_with_widgets(props, load_remote)
    _show(props, {p.id: _local_price(p.cents) for p in PRODUCTS}, "Prices formatted locally")
    return None


def unmount(props: dict[str, Any]) -> None:
    container = props["container"]
    for view in [v for v in _views if v.container is container]:
        _views.remove(view)
        if view.signal is not None:
            view.signal.disconnect(view.receiver)
    for element in container.cssselect("#catalog-list, #product-detail, #catalog-more"):
        _clear(element)
