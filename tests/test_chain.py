"""The hash chains, as pure functions: one canonical form, and the first place a chain does not hold."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID

from django_ekyc.chain import GENESIS, Link, canonical, canonical_json, first_break, link_hash


def chain(*contents: dict[str, object]) -> list[Link]:
    links, prev = [], GENESIS
    for seq, content in enumerate(contents, start=1):
        digest = link_hash(prev, content)
        links.append(Link(seq, prev, digest, content))
        prev = digest
    return links


def test_a_value_has_one_canonical_form_whatever_its_zone():
    naive = datetime(2026, 12, 7, 8, 0, 0, 5)
    hong_kong = naive.replace(tzinfo=timezone(timedelta(hours=8))) + timedelta(hours=8)
    assert canonical(naive) == canonical(hong_kong) == "2026-12-07T08:00:00.000005+00:00"
    uuid = UUID(int=1)
    assert canonical_json({"b": [uuid], "a": 1}) == '{"a":1,"b":["00000000-0000-0000-0000-000000000001"]}'


def test_the_first_break_is_reported_and_an_intact_chain_has_none():
    links = chain({"n": 1}, {"n": 2}, {"n": 3})
    assert first_break(links, expected_length=3) is None
    assert first_break([links[0], links[2]]).seq == 2  # a record cut out
    changed = Link(2, links[1].prev_hash, links[1].hash, {"n": 20})
    assert "content" in first_break([links[0], changed, links[2]]).problem
    forged = Link(2, "f" * 64, link_hash("f" * 64, {"n": 2}), {"n": 2})  # rehashed, but onto nothing
    assert "previous hash" in first_break([links[0], forged]).problem
    assert "ends at record 2" in first_break(links[:2], expected_length=3).problem  # cut from the end
