"""Every link in the top bar opens for the role that sees it: no menu entry leads to an error."""

from __future__ import annotations

import pytest

from academics.models import LearningArea, LearningAreaHead
from schools.models import StaffMembership

from .conftest import PERSONAS

pytestmark = pytest.mark.django_db


def _menu_links(response) -> list[str]:
    items = response.context["nav_items"]
    return [link["url"] for item in items for link in item.get("children", [item])]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_menu_link_of_a_persona_opens(client, world, persona):
    client.force_login(world.user(persona))
    home = client.get("/")
    assert home.status_code == 200
    links = _menu_links(home)
    assert links, f"{persona} has no menu"
    for url in links:
        response = client.get(url, follow=True)
        assert response.status_code == 200, f"{persona}: {url} answered {response.status_code}"


def test_the_head_of_a_learning_area_has_a_menu_that_opens(client, world):
    user = world.user("teacher_b")
    thai = LearningArea.objects.get(letter="ท")
    LearningAreaHead.objects.create(school=world.school_a, learning_area=thai, user=user)
    StaffMembership.objects.create(user=user, school=world.school_a, role=StaffMembership.Role.AREA_HEAD)
    client.force_login(user)
    client.post("/role/", {"role": f"{StaffMembership.Role.AREA_HEAD}"})
    home = client.get("/")
    links = _menu_links(home)
    assert any("sections" in url for url in links)
    for url in links:
        assert client.get(url, follow=True).status_code == 200, url
