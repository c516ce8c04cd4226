"""The documentation renders what it says: no formula is eaten by Markdown's emphasis rules
(``a'_i: E_{a∼μ}`` turning into italics, "GMAA*-ICE" losing its asterisk), checked on every page
rendered with the site's own Markdown extensions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

markdown = pytest.importorskip("markdown")
yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parents[1]
MID_WORD = re.compile(r"[\w'*]<(em|strong)>|</(em|strong)>[\w{(]")
"""Emphasis opened or closed inside a word: a ``_`` or ``*`` of a formula taken as markup (the
docs write intended emphasis as ``*word*`` between spaces or punctuation)."""


def _render(text: str) -> str:
    return markdown.markdown(text, extensions=["tables", "admonition", "pymdownx.superfences",
                                               "pymdownx.arithmatex", "toc"],
                             extension_configs={"pymdownx.arithmatex": {"generic": True}})


def mangled(text: str) -> list[str]:
    """The places where emphasis starts or ends inside a word (with some context)."""
    html = re.sub(r'<span class="arithmatex">.*?</span>|<div class="arithmatex">.*?</div>', "",
                  _render(text), flags=re.S)
    html = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    return [html[max(0, m.start() - 30):m.end() + 30] for m in MID_WORD.finditer(html)]


def test_the_check_catches_eaten_formulas() -> None:
    assert mangled("For every fixed action a'_i: E_{a∼μ}[u_i(a'_i, a_-i)] − ε.")
    assert mangled("planning by GMAA*-ICE: A* over partial policies")
    assert not mangled("planning by GMAA\\*-ICE; for every a'\\_i: E_{a∼μ} and *this* stays italic")


@pytest.mark.parametrize("page", sorted(p.relative_to(REPO / "docs").as_posix()
                                        for p in (REPO / "docs").rglob("*.md")))
def test_no_formula_is_eaten(page: str) -> None:
    assert mangled((REPO / "docs" / page).read_text(encoding="utf-8")) == []
