"""README.md documents every public name: a `### <Name>` heading under "## Reference" for each
name in `agentcore_constructs.__all__`, and no heading for a name that is gone."""

from __future__ import annotations

import re
from pathlib import Path

import agentcore_constructs

README = Path(__file__).resolve().parents[1] / "README.md"


def reference_headings() -> list[str]:
    text = README.read_text()
    match = re.search(r"^## Reference\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match is not None, "README.md has no '## Reference' section"
    return re.findall(r"^### (\S+)\s*$", match.group(1), re.MULTILINE)


def test_every_public_name_has_a_reference_entry() -> None:
    missing = sorted(set(agentcore_constructs.__all__) - set(reference_headings()))
    assert missing == [], f"document these in README.md under '## Reference': {missing}"


def test_no_entry_for_a_name_that_is_not_public() -> None:
    headings = reference_headings()
    assert len(headings) == len(set(headings)), "a name is documented twice"
    assert sorted(set(headings) - set(agentcore_constructs.__all__)) == []
