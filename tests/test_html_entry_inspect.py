"""``format_inspection``: what ``mfe inspect`` prints, as a table or JSON."""

from __future__ import annotations

import json

from orchestrator.cli import format_inspection, inspect_entry
from orchestrator.testing import LoopbackServer, Reply

PAGE = (
    '<link rel="stylesheet" href="app.css" integrity="sha256-x">'
    '<script src="/vendor.js" crossorigin="use-credentials"></script>'
    '<script type="module" src="m.js" async></script>'
    '<script type="text/python" src="main.py" entry></script>'
    "<script>window.after = true</script>"
)


async def test_table_lists_public_path_scripts_styles_and_entry() -> None:
    async with LoopbackServer() as server:
        server.route("/shop/index.html", Reply(body=PAGE))
        text = await inspect_entry(server.url_for("/shop/index.html"))
        base = server.url.rstrip("/")
    lines = text.splitlines()
    assert lines[0] == f"entry:        {base}/shop/index.html"
    assert lines[1] == f"public path:  {base}/shop/"
    assert lines[2] == f"entry script: {base}/shop/main.py"
    assert "scripts (4):" in lines and "styles (1):" in lines
    rows = [line.split() for line in lines if line.startswith("  ")]
    assert rows[0] == ["#", "kind", "flags", "source"]
    assert rows[1] == ["1", "classic", "crossorigin=use-credentials", f"{base}/vendor.js"]
    assert rows[2] == ["2", "module", "async", f"{base}/shop/m.js"]
    assert rows[3] == ["3", "python", "entry", f"{base}/shop/main.py"]
    assert rows[4][:3] == ["4", "classic", "inline"] and rows[4][3:] == [
        "inline:",
        "window.after",
        "=",
        "true",
    ]
    assert rows[-1] == ["1", f"{base}/shop/app.css"]


async def test_json_output_is_complete() -> None:
    async with LoopbackServer() as server:
        server.route("/shop/index.html", Reply(body=PAGE))
        data = json.loads(await inspect_entry(server.url_for("/shop/index.html"), as_json=True))
        base = server.url.rstrip("/")
    assert data["asset_public_path"] == f"{base}/shop/"
    assert [s["kind"] for s in data["scripts"]] == ["classic", "module", "python", "classic"]
    assert data["scripts"][3]["inline"] and data["scripts"][3]["length"] == len(
        "window.after = true"
    )
    assert data["scripts"][0]["crossorigin"] == "use-credentials"
    assert data["styles"] == [
        {"href": f"{base}/shop/app.css", "inline": False, "integrity": "sha256-x"}
    ]
    assert data["entry_script"] == f"{base}/shop/main.py"


async def test_empty_entry_prints_none() -> None:
    async with LoopbackServer() as server:
        server.route("/e.html", Reply(body="<p>static</p>"))
        from orchestrator.html_entry import import_entry

        imported = await import_entry(server.url_for("/e.html"))
    text = format_inspection(imported)
    assert "entry script: (none)" in text and "scripts (0):" in text
    assert json.loads(format_inspection(imported, as_json=True))["entry_script"] is None
