"""The admin's collapsible unit tree: one level at a time, a keyset page at a time, in a fixed number of
queries however many units there are, and for the people who may view units only."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from members.admin import UnitAdmin
from members.models import UnitLevel

pytestmark = pytest.mark.django_db

TREE = reverse("admin:members_unit_tree")


def node_url(unit, partial=True):
    return reverse("admin:members_unit_tree_node", args=[unit.pk]) + ("?partial=1" if partial else "")


@pytest.fixture
def tree(f):
    """Two bureaus; the first with three depots, the first depot with two workshops, one with a team."""
    bureau = f.unit(code="BJ", name="北京局")
    other_bureau = f.unit(code="TJ", name="天津局", region="TJ")
    depots = [f.unit(parent=bureau, level=UnitLevel.DEPOT, code=f"BJ-D{i}", name=f"第{i}机务段") for i in (1, 2, 3)]
    workshops = [f.unit(parent=depots[0], code=f"BJ-D1-W{i}", name=f"运用{i}车间") for i in (1, 2)]
    team = f.unit(parent=workshops[0], code="BJ-D1-W1-T1", name="一班组")
    return bureau, other_bureau, depots, workshops, team


def shown_units(html: str) -> list[str]:
    return re.findall(r'data-unit="(\d+)"', html)


def test_the_tree_starts_with_the_bureaus_and_their_child_counts(admin_client, tree):
    bureau, other_bureau, *_ = tree
    html = admin_client.get(TREE).content.decode()
    assert shown_units(html) == [str(bureau.pk), str(other_bureau.pk)]
    # The bureau with depots opens (lazily); the empty one is a leaf.
    assert f'data-children="{node_url(bureau)}"' in html and "下级 3" in html
    assert f'data-children="{node_url(other_bureau)}"' not in html
    # Without a script, the same node opens as a page of its own.
    assert f'href="{node_url(bureau, partial=False)}"' in html
    assert 'src="/static/members/unit_tree.js"' in html


def test_opening_a_unit_lists_its_children_only_with_their_own_counts(admin_client, tree):
    bureau, _, depots, workshops, team = tree
    html = admin_client.get(node_url(depots[0])).content.decode()
    assert "<html" not in html  # only the list, for the script to insert
    assert shown_units(html) == [str(u.pk) for u in workshops]
    assert "运用1车间" in html and "下级 1" in html and str(team.pk) not in shown_units(html)
    assert reverse("admin:members_unit_change", args=[workshops[0].pk]) in html


def test_a_unit_without_children_says_so(admin_client, tree):
    *_, team = tree
    assert "没有下级单位" in admin_client.get(node_url(team)).content.decode()


def test_a_units_page_without_script_shows_where_it_is_in_the_tree(admin_client, tree):
    bureau, _, depots, workshops, _ = tree
    html = admin_client.get(node_url(workshops[0], partial=False)).content.decode()
    breadcrumbs = html.split('class="breadcrumbs"')[1].split("</div>")[0]
    assert [name for name in ("北京局", "第1机务段", "运用1车间") if name in breadcrumbs] == ["北京局", "第1机务段", "运用1车间"]
    assert breadcrumbs.index("北京局") < breadcrumbs.index("第1机务段") < breadcrumbs.index("运用1车间")


def test_a_long_level_is_paged_by_a_signed_cursor_in_code_order(admin_client, tree, monkeypatch):
    bureau, _, depots, *_ = tree
    monkeypatch.setattr(UnitAdmin, "tree_page", 2)
    first = admin_client.get(node_url(bureau)).content.decode()
    assert shown_units(first) == [str(depots[0].pk), str(depots[1].pk)]
    more = re.search(r'data-more href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = admin_client.get(more + "&partial=1").content.decode()
    assert shown_units(second) == [str(depots[2].pk)] and "data-more" not in second
    # A cursor that was not made here shows the first page, never an error.
    forged = admin_client.get(node_url(bureau) + "&after=BJ-D1")
    assert forged.status_code == 200 and shown_units(forged.content.decode())[0] == str(depots[0].pk)


def test_opening_a_level_takes_the_same_queries_for_three_units_or_thirty(admin_client, f, tree,
                                                                          django_assert_num_queries):
    bureau, other_bureau, *_ = tree
    for i in range(30):
        f.unit(parent=other_bureau, level=UnitLevel.DEPOT, code=f"TJ-D{i:02d}")
    admin_client.get(node_url(bureau))  # the session and the permission caches warm up
    # session, user, the unit opened, the page of its children with their counts
    with django_assert_num_queries(4):
        small = admin_client.get(node_url(bureau))
    with django_assert_num_queries(4):
        large = admin_client.get(node_url(other_bureau))
    assert len(shown_units(small.content.decode())) == 3 and len(shown_units(large.content.decode())) == 30


def test_an_unknown_unit_is_not_found(admin_client, tree):
    assert admin_client.get(reverse("admin:members_unit_tree_node", args=[999_999])).status_code == 404


def test_only_people_who_may_view_units_open_the_tree(client, f, tree):
    bureau, *_ = tree
    depot = tree[2][0]
    for person in (f.worker_user(f.worker(depot, f.job_type(f.business_system()))), f.clerk(depot)):
        client.force_login(person)
        response = client.get(node_url(bureau))
        assert response.status_code == 302 and "/admin/login/" in response.url  # not admin staff
    client.logout()
    assert client.get(TREE).status_code == 302
    # Staff without the unit view permission are refused; with it, they see the tree.
    staff = f.staff_user()
    client.force_login(staff)
    assert client.get(TREE).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_unit"))
    client.force_login(staff)
    assert client.get(TREE).status_code == 200


def test_the_unit_list_links_to_the_tree(admin_client, tree):
    html = admin_client.get(reverse("admin:members_unit_changelist")).content.decode()
    assert f'href="{TREE}" id="unit-tree-link"' in html
