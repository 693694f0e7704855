def test_generate_page_requires_login(client, db):
    """An anonymous visitor is sent to sign in."""
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
