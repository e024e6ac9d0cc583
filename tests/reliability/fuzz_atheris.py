"""Coverage-guided fuzzing of ``scope_css`` and ``import_entry`` with atheris (libFuzzer).

Run: ``python tests/reliability/fuzz_atheris.py scope -runs=20000 -seed=1`` (or ``noisy``, CSS
built from comment and escape pieces; ``style``, text for a ``<style>`` element; or ``entry``);
any libFuzzer flag works. It checks what ``fuzz_targets`` checks, and exits non-zero with the
crashing input saved when a check fails. Without atheris installed it says so and exits 2.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the environment
    atheris = None

TARGETS = ("scope", "noisy", "style", "entry")


def _one_input(target: str) -> Callable[[bytes], None]:
    with atheris.instrument_imports(include=["css_scoper", "orchestrator"]):
        import fuzz_targets

    loop = asyncio.new_event_loop()

    def scope(data: bytes) -> None:
        text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(4096)
        fuzz_targets.check_scope_css(text)

    def noisy(data: bytes) -> None:
        # structure-aware: rules of comment and escape pieces inside (escaped) at-rules
        provider = atheris.FuzzedDataProvider(data)
        rules = [
            (
                provider.ConsumeIntInRange(0, 63),
                provider.ConsumeIntListInRange(provider.ConsumeIntInRange(0, 12), 0, 63),
            )
            for _ in range(provider.ConsumeIntInRange(0, 8))
        ]
        fuzz_targets.check_scope_css(fuzz_targets.noisy_stylesheet(rules))

    def style(data: bytes) -> None:
        text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(4096)
        fuzz_targets.check_style_element(text)
        fuzz_targets.check_style_element(fuzz_targets.check_scope_css(text))

    def entry(data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        page: str | bytes
        if provider.ConsumeBool():
            page = provider.ConsumeBytes(4096)
        else:
            page = provider.ConsumeUnicodeNoSurrogates(4096)
        loop.run_until_complete(fuzz_targets.check_import(page))

    return {"scope": scope, "noisy": noisy, "style": style, "entry": entry}[target]


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in TARGETS:
        print(f"usage: {argv[0]} {{{'|'.join(TARGETS)}}} [libFuzzer flags]", file=sys.stderr)
        return 2
    if atheris is None:
        print("atheris is not installed (pip install atheris)", file=sys.stderr)
        return 2
    target = argv[1]
    atheris.Setup([argv[0], *argv[2:]], _one_input(target))
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
