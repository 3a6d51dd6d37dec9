"""Agency lineages and industrial-policy document counts."""

from __future__ import annotations

import pandas as pd
import pytest

from zhengce.analysis.agencies import agency_counts, is_manufacturing, lineage_members, lineage_table
from zhengce.common.errors import UserError


def test_gazetteer_lineages(store):
    ndrc = lineage_members(store, "ndrc", "NDRC")
    assert ndrc.members == ["spc", "sdpc", "ndrc"] and ndrc.created == 2003
    assert ndrc.chain_label == "SPC → SDPC → NDRC"
    assert "setc" in ndrc.breaks and ndrc.source == "gazetteer"   # split in 2003: never mapped
    miit = lineage_members(store, "miit", "MIIT")
    assert miit.members[-2:] == ["mii", "miit"] and miit.created == 2008
    assert "ndrc" not in miit.members  # NDRC lives on after giving functions to MIIT
    sasac = lineage_members(store, "sasac", "SASAC")
    assert sasac.members == ["sasac"] and sasac.created == 2003
    with pytest.raises(UserError, match="not in the agencies table"):
        lineage_members(store, "no_such_agency")


def test_manufacturing_codes():
    assert [is_manufacturing(c) for c in ("36", "3612", "C36", "13", "43", "12", "44", "F51", "", None)] == \
        [True, True, True, True, True, False, False, False, False, False]


@pytest.fixture
def agency_docs(store, insert_documents, add_sectors):
    docs = [("d1", 1995, ["spc"]), ("d2", 2000, ["sdpc"]), ("d3", 2004, ["ndrc"]),
            ("d4", 2004, ["ndrc", "sasac"]), ("d5", 2000, ["setc"]), ("d6", 2005, ["mii"]),
            ("d7", 2009, ["miit"]), ("d9", 2010, ["miit"])]
    insert_documents(store, [{"doc_id": d, "level": "central", "year": y, "agency_id": ids[0],
                              "agency_ids": ids} for d, y, ids in docs])
    # d7 has no manufacturing sector, so it is not an industrial-policy document
    add_sectors(store, [("d1", "36"), ("d2", "3973"), ("d3", "26"), ("d4", "31"), ("d5", "36"),
                        ("d6", "39"), ("d9", "36"), ("d9", "361")])
    return store


def _series(counts, lineage, column="n_docs"):
    sub = counts[counts["lineage"] == lineage]
    return {int(y): int(n) for y, n in zip(sub["year"], sub[column]) if n}


def test_predecessors_count_for_their_lineage(agency_docs):
    counts, lineages = agency_counts(agency_docs)
    # spc (1995), sdpc (2000) and ndrc (2004 ×2) are all NDRC lineage; setc is not
    assert _series(counts, "NDRC") == {1995: 1, 2000: 1, 2004: 2}
    assert _series(counts, "NDRC", "n_predecessor") == {1995: 1, 2000: 1}
    assert _series(counts, "MIIT") == {2005: 1, 2010: 1}
    assert _series(counts, "MIIT", "n_predecessor") == {2005: 1}
    assert _series(counts, "SASAC") == {2004: 1}
    assert counts.groupby("lineage")["n_docs"].sum().to_dict() == {"MIIT": 2, "NDRC": 4, "SASAC": 1}
    # every year from the first to the last counted document, for every lineage
    assert sorted(set(counts["year"])) == list(range(1995, 2011))
    assert len(counts) == 3 * 16
    assert counts.set_index("lineage")["created"].to_dict() == {"NDRC": 2003, "MIIT": 2008, "SASAC": 2003}
    lt = lineage_table(lineages)
    assert set(lt[lt["lineage"] == "NDRC"]["agency_id"]) >= {"spc", "sdpc", "ndrc", "setc"}


def test_counting_options(agency_docs):
    counts, _ = agency_counts(agency_docs, industrial_only=False)
    assert _series(counts, "MIIT") == {2005: 1, 2009: 1, 2010: 1}
    counts, _ = agency_counts(agency_docs, lead_only=True)
    assert _series(counts, "SASAC") == {}          # sasac was only the second issuer of d4
    assert _series(counts, "NDRC") == {1995: 1, 2000: 1, 2004: 2}


def test_predecessor_rule_without_continued_by(store):
    """With a plain agencies table (no continued_by), a ceased body joins only when all its
    successors are in the lineage: renamed bodies join, split bodies do not."""
    table = pd.DataFrame([
        {"agency_id": "a_old", "name": "甲", "valid_from": 1990, "valid_to": 2000,
         "predecessor_ids": None, "successor_ids": '["a"]'},
        {"agency_id": "split", "name": "乙", "valid_from": 1990, "valid_to": 2000,
         "predecessor_ids": None, "successor_ids": '["a", "b"]'},
        {"agency_id": "a", "name": "丙", "valid_from": 2000, "valid_to": None,
         "predecessor_ids": '["a_old", "split", "living"]', "successor_ids": None},
        {"agency_id": "living", "name": "丁", "valid_from": 1980, "valid_to": None,
         "predecessor_ids": None, "successor_ids": '["a"]'},
        {"agency_id": "b", "name": "戊", "valid_from": 2000, "valid_to": None,
         "predecessor_ids": '["split"]', "successor_ids": None},
    ])
    lin = lineage_members(store, "a", "A", agencies=table)
    assert lin.members == ["a_old", "a"]
    assert lin.breaks == ["living", "split"]
    assert lin.created == 2000 and lin.first_year == 1990 and lin.source == "agencies table"
