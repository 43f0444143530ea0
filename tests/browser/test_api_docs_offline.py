"""The API docs page works with the network cut: Swagger UI comes from the project's own static
files, and the page asks nothing of any other host."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def test_the_api_docs_list_the_operations_with_every_outside_request_blocked(live_server, page: Page):
    blocked: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    page.route("**/*", only_local)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Q-Info API")
    operations = page.locator(".opblock .opblock-summary-path")
    expect(operations.filter(has_text="/api/v1/students/").first).to_be_visible()
    assert operations.count() > 10
    assert blocked == []
