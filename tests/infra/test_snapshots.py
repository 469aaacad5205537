"""One snapshot per environment; hashes are normalised so only template changes show."""

from __future__ import annotations

import json
import re

from syrupy.extensions.json import JSONSnapshotExtension

HEX_RUN = re.compile(r"[0-9a-f]{64}")


def normalised(template: dict) -> dict:
    return json.loads(HEX_RUN.sub("<HASH>", json.dumps(template, sort_keys=True)))


def test_dev_template_matches_snapshot(dev, snapshot) -> None:
    assert normalised(dev.json) == snapshot(extension_class=JSONSnapshotExtension)


def test_prod_template_matches_snapshot(prod, snapshot) -> None:
    assert normalised(prod.json) == snapshot(extension_class=JSONSnapshotExtension)


def test_dev_code_template_matches_snapshot(dev_code, snapshot) -> None:
    assert normalised(dev_code.json) == snapshot(extension_class=JSONSnapshotExtension)


def test_dev_a2a_template_matches_snapshot(dev_a2a, snapshot) -> None:
    assert normalised(dev_a2a.json) == snapshot(extension_class=JSONSnapshotExtension)


def test_normalisation_hides_only_hashes() -> None:
    raw = {"Uri": "repo:" + "ab" * 32, "Name": "orders_agent_dev"}
    assert normalised(raw) == {"Uri": "repo:<HASH>", "Name": "orders_agent_dev"}
