"""The dashboard in-process: login, CSRF, roles, language, pages, error pages."""

from __future__ import annotations

from html import escape
from typing import Any

from esperia.auth.audit import read_audit
from esperia.auth.users import create_user, get_user, set_password

PASSWORD = "viewer-pass-1"


def _viewer(store: Any, email: str = "vera@example.com") -> str:
    create_user(store, email, PASSWORD, "viewer", "Vera")
    return email


# -------------------------------------------------------------- login needed


def test_every_page_but_login_redirects_an_anonymous_visitor(web):
    for path in ("/", "/imports", "/admin/users", "/admin/audit"):
        answer = web.client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/login?next={path}"
    answer = web.client.get("/imports?page=2", follow_redirects=False)
    assert answer.headers["location"] == "/login?next=/imports%3Fpage%3D2"
    login = web.client.get("/login")
    assert login.status_code == 200
    assert '<html lang="it"' in login.text
    assert "Accedi" in login.text


def test_login_goes_back_to_the_page_asked_for(web, workspace):
    answer = web.login(workspace.admin_email, workspace.admin_password, "/imports")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/imports"
    page = web.client.get("/imports")
    assert page.status_code == 200
    assert "Importazioni" in page.text
    # Already logged in: the login page sends the user on.
    again = web.client.get("/login?next=/admin/users", follow_redirects=False)
    assert again.headers["location"] == "/admin/users"


def test_login_never_redirects_off_site(web, workspace):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = web.login(workspace.admin_email, workspace.admin_password, target)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/", target
        web.post_form("/logout", {}, token_from="/")


def test_bad_password_and_unknown_email_get_the_same_answer(
    web, workspace, workspace_store
):
    wrong = web.login(workspace.admin_email, "not-the-password")
    unknown = web.login("nobody@example.com", workspace.admin_password)
    assert wrong.status_code == unknown.status_code == 200  # the form again
    message = escape("E-mail o password errate, oppure account disattivato.")
    assert message in wrong.text
    assert message in unknown.text
    assert web.client.get("/", follow_redirects=False).status_code == 303
    failures = read_audit(workspace_store, 10, action="login_failed")
    assert {entry["subject"] for entry in failures} == {
        workspace.admin_email,
        "nobody@example.com",
    }


def test_logout_ends_the_session(admin_web, workspace_store, workspace):
    assert admin_web.client.get("/", follow_redirects=False).status_code == 200
    answer = admin_web.post_form("/logout", {}, token_from="/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert "Sei uscito." in admin_web.client.get("/login").text
    assert admin_web.client.get("/", follow_redirects=False).status_code == 303
    actions = [entry["action"] for entry in read_audit(workspace_store, 5)]
    assert actions[0] == "logout"


# ---------------------------------------------------------------------- CSRF


def test_forms_without_the_csrf_token_are_refused(web, workspace, workspace_store):
    bare = web.client.post(
        "/login",
        data={"email": workspace.admin_email, "password": workspace.admin_password},
        follow_redirects=False,
    )
    assert bare.status_code == 403
    assert "Il modulo è scaduto" in bare.text
    forged = web.client.post(
        "/login",
        data={
            "email": workspace.admin_email,
            "password": workspace.admin_password,
            "csrf_token": "guessed",
        },
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert web.client.get("/", follow_redirects=False).status_code == 303

    assert web.login(workspace.admin_email, workspace.admin_password).status_code == 303
    attack = web.client.post(
        "/admin/users",
        data={"email": "mallory@example.com", "role": "admin", "password": "x" * 12},
        follow_redirects=False,
    )
    assert attack.status_code == 403
    assert "mallory@example.com" not in [u.email for u in _users(workspace_store)]


def test_a_token_from_another_session_does_not_count(web, new_client, workspace):
    other = new_client()
    stolen = other.csrf()
    answer = web.client.get("/login")  # this visitor has a session of its own
    assert answer.status_code == 200
    refused = web.client.post(
        "/login",
        data={
            "email": workspace.admin_email,
            "password": workspace.admin_password,
            "csrf_token": stolen,
        },
        follow_redirects=False,
    )
    assert refused.status_code == 403


def _users(store: Any) -> list[Any]:
    from esperia.auth.users import list_users

    return list_users(store)


# --------------------------------------------------------------------- roles


def test_admin_pages_are_forbidden_to_a_viewer(web, workspace_store):
    email = _viewer(workspace_store)
    assert web.login(email, PASSWORD).status_code == 303
    for path in ("/admin/users", "/admin/audit"):
        page = web.client.get(path)
        assert page.status_code == 403, path
        assert "riservata agli amministratori" in page.text
        assert "text/html" in page.headers["content-type"]
    overview = web.client.get("/")
    assert overview.status_code == 200
    assert 'href="/admin/users"' not in overview.text  # no menu entry either
    refused = web.post_form(
        "/admin/users",
        {"email": "x@example.com", "role": "admin", "password": "long-enough"},
        token_from="/",
    )
    assert refused.status_code == 403


def test_admin_creates_a_user_with_a_generated_password(
    admin_web, new_client, workspace_store
):
    answer = admin_web.post_form(
        "/admin/users",
        {
            "email": "Nuovo@Example.com",
            "name": "Nuovo",
            "role": "agent",
            "password": "",
        },
        token_from="/admin/users",
    )
    assert answer.status_code == 201
    assert "Utente nuovo@example.com creato." in answer.text
    start = answer.text.index('id="generated-password">') + len(
        'id="generated-password">'
    )
    password = answer.text[start : answer.text.index("</code>", start)]
    assert len(password) >= 16
    assert get_user(workspace_store, "nuovo@example.com").role == "agent"
    visitor = new_client()
    assert visitor.login("nuovo@example.com", password).status_code == 303
    # The password is not on the list page afterwards.
    assert password not in admin_web.client.get("/admin/users").text

    again = admin_web.post_form(
        "/admin/users",
        {"email": "nuovo@example.com", "role": "viewer", "password": "another-pw"},
        token_from="/admin/users",
    )
    assert again.status_code == 409
    assert "already exists" in again.text
    short = admin_web.post_form(
        "/admin/users",
        {"email": "corto@example.com", "role": "viewer", "password": "short"},
        token_from="/admin/users",
    )
    assert short.status_code == 400
    assert 'value="corto@example.com"' in short.text  # the form keeps its values


def test_disabling_a_user_ends_their_session(admin_web, new_client, workspace_store):
    email = _viewer(workspace_store)
    viewer = new_client()
    assert viewer.login(email, PASSWORD).status_code == 303
    assert viewer.client.get("/", follow_redirects=False).status_code == 200
    user_id = get_user(workspace_store, email).user_id
    answer = admin_web.post_form(
        f"/admin/users/{user_id}/active", {"active": "0"}, token_from="/admin/users"
    )
    assert answer.status_code == 303
    assert (
        "Utente vera@example.com disattivato."
        in admin_web.client.get("/admin/users").text
    )
    assert viewer.client.get("/", follow_redirects=False).status_code == 303
    refused = viewer.login(email, PASSWORD)
    assert refused.status_code == 200 and "account disattivato" in refused.text


def test_a_password_change_ends_other_sessions(web, workspace_store):
    email = _viewer(workspace_store)
    assert web.login(email, PASSWORD).status_code == 303
    assert web.client.get("/", follow_redirects=False).status_code == 200
    set_password(workspace_store, email, "a-brand-new-pw")
    assert web.client.get("/", follow_redirects=False).status_code == 303


# ------------------------------------------------------------------ language


def test_language_switch_to_english_and_back(web, workspace):
    answer = web.post_form("/language", {"lang": "en", "next": "/login?next=/imports"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/imports"
    page = web.client.get("/login")
    assert '<html lang="en"' in page.text
    assert "Log in" in page.text
    # The choice survives logging in.
    assert web.login(workspace.admin_email, workspace.admin_password).status_code == 303
    overview = web.client.get("/")
    assert "Overview" in overview.text and "Customers" in overview.text
    web.post_form("/language", {"lang": "xx", "next": "/"}, token_from="/")
    assert '<html lang="en"' in web.client.get("/").text  # unknown: ignored
    web.post_form("/language", {"lang": "it", "next": "//evil.example"}, token_from="/")
    assert "Panoramica" in web.client.get("/").text


# --------------------------------------------------------------------- pages


def test_overview_shows_counts_feedback_and_imports(admin_web, seeded):
    page = admin_web.client.get("/")
    assert page.status_code == 200
    text = page.text
    for kind, count in seeded.items():
        assert f'data-kind="{kind}"' in text
        marker = text.index(f'data-kind="{kind}"')
        assert f'<span class="kpi-value">{count}</span>' in text[marker : marker + 400]
    assert "<svg" in text and 'class="chart-bar"' in text
    # Feedback text is shown, escaped: markup in customer text never runs.
    assert escape("Il meccanico <b>gentile</b> e veloce") in text
    assert "<b>gentile</b>" not in text
    assert "Sportello 0" in text
    assert 'href="/imports"' in text


def test_imports_page_lists_every_import(admin_web, seeded):
    page = admin_web.client.get("/imports")
    assert page.status_code == 200
    assert page.text.count("<tr>") == 1 + len(seeded)  # header + one per import


def test_audit_page_shows_logins(admin_web, workspace):
    page = admin_web.client.get("/admin/audit")
    assert page.status_code == 200
    assert "login" in page.text
    assert workspace.admin_email in page.text


def test_pages_carry_a_strict_content_security_policy(admin_web):
    page = admin_web.client.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


def test_static_assets_are_served_from_the_package(web):
    css = web.client.get("/static/esperia.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "@import" not in css.text and "url(http" not in css.text
    assert web.client.get("/static/esperia.js").status_code == 200
    assert web.client.get("/static/favicon.svg").status_code == 200


def test_unknown_page_gets_the_html_error_page(web, workspace):
    anonymous = web.client.get("/no-such-page")
    assert anonymous.status_code == 404
    assert "Pagina non trovata" in anonymous.text
    assert "Vai all&#39;accesso" in anonymous.text
    assert web.login(workspace.admin_email, workspace.admin_password).status_code == 303
    known = web.client.get("/no-such-page")
    assert known.status_code == 404
    assert "Torna alla panoramica" in known.text
    assert 'class="nav-links"' in known.text  # the layout knows the user


def test_error_page_renders_outside_the_session_middleware():
    from starlette.requests import Request

    from esperia.web import render_error_page

    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": []})
    page = render_error_page(request, 503, "the database is down")
    assert page.status_code == 503
    body = bytes(page.body).decode()
    assert "Servizio non disponibile" in body and "the database is down" in body
    odd = render_error_page(request, 418, "teapot")
    assert "Errore" in bytes(odd.body).decode()
