"""``paginate`` as a pure function: pages partition the items; Link relations are consistent."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from release_kit_sandbox.github.http import Request, paginate

LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


def _request(page: int | None, per_page: int | None) -> Request:
    query: dict[str, list[str]] = {"state": ["all"]}
    if page is not None:
        query["page"] = [str(page)]
    if per_page is not None:
        query["per_page"] = [str(per_page)]
    return Request("GET", "/repos/a/b/issues", query, {}, b"")


@given(total=st.integers(0, 450), per_page=st.one_of(st.none(), st.integers(-5, 150)))
def test_pages_partition_items_and_links_agree(total: int, per_page: int | None) -> None:
    items = list(range(total))
    size = 30 if per_page is None else max(1, min(100, per_page))
    served: list[int] = []
    page = 1
    while True:
        resp = paginate("http://h", _request(page, per_page), items, render=lambda i: i * 2)
        assert resp.status == 200
        served += [x // 2 for x in resp.body]
        links = {rel: url for url, rel in LINK.findall(resp.headers.get("Link", ""))}
        if page > 1:
            assert links["first"].endswith("page=1")
            assert links["prev"].endswith(f"page={page - 1}")
        if "next" not in links:
            break
        assert links["next"] == f"http://h/repos/a/b/issues?state=all&per_page={size}&page={page + 1}"
        assert links["last"].endswith(f"page={-(-total // size)}")
        page += 1
    assert served == items
    assert page == max(1, -(-total // size))
