"""Money for every app of the page, shared as a singleton: one currency, one rounding."""

__version__ = "1.0.0"
CURRENCY = "EUR"
SIGN = "€"


def format_cents(cents: int) -> str:
    """``124900`` → ``€1,249.00`` (whole cents: no float rounding)."""
    units, rest = divmod(cents, 100)
    return f"{SIGN}{units:,}.{rest:02d}"
