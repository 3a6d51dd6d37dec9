"""Config hashes are stored keys (token cache, shard fingerprints): their values must never change.

The literals below were computed with the hand-written ``json.dumps(sort_keys=True,
ensure_ascii=False)`` + sha256[:16] code that :func:`zhengce.common.manifest.config_hash` replaced.
"""

from __future__ import annotations

import pytest

from zhengce.nlp.text.normalize import Normalizer
from zhengce.nlp.text.segment import Segmenter, token_config_hash


@pytest.fixture()
def pinned_backend_version(monkeypatch):
    from zhengce.nlp.text import segment

    backend = getattr(segment, "_RjiebaBackend")
    monkeypatch.setattr(backend, "version", staticmethod(lambda: "0.2.2"))


def test_normalizer_hash_is_unchanged():
    normalizer = Normalizer(nfkc=False, strip_boilerplate=False)
    assert normalizer.config_hash == "73e1fafa92253cb4"
    assert Normalizer(nfkc=False, strip_boilerplate=False,
                      collapse_whitespace=False).config_hash == "90921e3ad13cff13"


def test_segmenter_and_token_cache_hashes_are_unchanged(pinned_backend_version):
    segmenter = Segmenter(user_dict=False, stopwords=False, min_len=1)
    assert segmenter.config()["backend_version"] == "0.2.2"
    assert segmenter.config_hash == "336e1f65cb776776"
    normalizer = Normalizer(nfkc=False, strip_boilerplate=False)
    assert token_config_hash(normalizer, segmenter) == "59b77d6830b19bfc"


def test_stage_fingerprint_hash_is_unchanged():
    from zhengce.common.manifest import config_hash

    assert config_hash({"model": "abc", "random_state": 3,
                        "seeding": "document_seed-v1"}) == "6cfea0ab3c153092"
