"""docs/hooks.md names every hook the kernel specifies, so the map cannot fall behind."""

from __future__ import annotations

import inspect
from pathlib import Path

from drupe import hookspecs

DOC = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"


def test_every_kernel_hookspec_is_in_the_reference_with_a_docstring() -> None:
    text = DOC.read_text(encoding="utf-8")
    specs = [
        (name, func)
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(func, "drupe_spec")
    ]
    assert len(specs) == 21  # 8 lifecycle, 7 provider, 6 collected
    for name, func in specs:
        assert f"`{name}" in text, f"docs/hooks.md does not mention {name}"
        assert func.__doc__ and len(func.__doc__.strip()) > 40, f"{name} needs a docstring"


def test_the_kernel_specifies_no_pipeline_or_catalog_hook() -> None:
    """Pipelines and catalogs are the pipeline plugin's concepts: its own specs name them."""
    names = {name for name in vars(hookspecs) if hasattr(getattr(hookspecs, name), "drupe_spec")}
    assert not {"get_pipelines", "get_catalog"} & names
    assert not [name for name in names if "pipeline" in name or "catalog" in name]
