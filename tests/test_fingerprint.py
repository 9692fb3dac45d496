"""One fingerprint of the kit and the library keys every cache of leaflets and lists."""

from __future__ import annotations

import os

from handouts.catalogue import treatment_catalogue
from handouts.paths import builtin_dir, kit_fingerprint
from handouts.request import LeafletRequest
from handouts.web.pool import LeafletPool


def test_an_edit_to_any_kit_file_changes_the_fingerprint_and_every_key(clinic_kit, tmp_path):
    kit = clinic_kit(base="demo")
    pool = LeafletPool(kit, tmp_path / "cache", workers=1, prepare=False)
    request = LeafletRequest(("microneedling",))
    before = kit_fingerprint(kit), pool.cache_key(request)
    (kit / "leaflets").mkdir()
    (kit / "leaflets" / "old.pdf").write_bytes(b"%PDF-")  # what a kit gathers: no change
    (kit / "handouts-history.sqlite").write_bytes(b"")
    assert (kit_fingerprint(kit), pool.cache_key(request)) == before
    css = kit / "styles" / "extra.css"
    css.parent.mkdir(exist_ok=True)
    css.write_text("h2 { letter-spacing: 0.01em; }\n", encoding="utf-8")
    after = kit_fingerprint(kit), pool.cache_key(request)
    assert after[0] != before[0] and after[1] != before[1]


def test_the_treatment_list_follows_the_fingerprint(clinic_kit, monkeypatch, tmp_path):
    monkeypatch.setenv("HANDOUTS_HOME", str(tmp_path / "home"))
    kit = clinic_kit(base="demo")
    titles = {row["name"]: row["title"] for row in treatment_catalogue(kit)}
    assert titles["microneedling"] == "Microneedling"
    own = kit / "content" / "microneedling" / "treatment.yaml"
    own.parent.mkdir(parents=True, exist_ok=True)
    text = (builtin_dir("content") / "microneedling" / "treatment.yaml").read_text()
    own.write_text(text.replace("title: Microneedling", "title: Skin needling"), encoding="utf-8")
    stamp = own.stat().st_mtime_ns + 1_000_000
    os.utime(own, ns=(stamp, stamp))
    titles = {row["name"]: row["title"] for row in treatment_catalogue(kit)}
    assert titles["microneedling"] == "Skin needling"
