"""Contract tests: the LinkedIn adapter against a fake Posts and Images API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from studio.publishing.adapters.base import OutgoingMedia, OutgoingPost
from studio.publishing.adapters.linkedin import DEFAULT_VERSION, LinkedInAdapter, little_text
from studio.publishing.errors import AUTH, VERSION, PermanentError, TransientError, UnknownOutcome
from tests.unit.publishing.conftest import SLOW
from tests.unit.publishing.fakeserver import FakeServer, Recorded, Reply

POSTS = r"/rest/posts"
ORG = "urn:li:organization:5515715"
SHARE = "urn:li:share:6844785523593134080"


@pytest.fixture
def adapter(server: FakeServer, fast: dict) -> LinkedInAdapter:
    return LinkedInAdapter(base_url=server.url, **fast)


@pytest.fixture
def creds() -> dict:
    return {"access_token": "li-token", "author_urn": ORG}


@pytest.fixture
def posts(server: FakeServer) -> FakeServer:
    server.route("POST", POSTS, Reply(201, headers={"x-restli-id": SHARE}))
    return server


def _assert_rest_headers(call: Recorded, version: str = DEFAULT_VERSION) -> None:
    assert call.header("Authorization") == "Bearer li-token"
    assert call.header("LinkedIn-Version") == version
    assert call.header("X-Restli-Protocol-Version") == "2.0.0"


def test_publish_text_sends_the_documented_post_body(adapter, creds, posts):
    published = adapter.publish(OutgoingPost("Open day (Saturday) at 10 #coffee"), creds, "k")

    (call,) = posts.calls("POST", POSTS)
    _assert_rest_headers(call)
    assert call.header("Content-Type") == "application/json"
    assert call.json() == {
        "author": ORG,
        "commentary": "Open day \\(Saturday\\) at 10 {hashtag|\\#|coffee}",
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    assert published.platform_post_id == SHARE
    assert published.url == f"https://www.linkedin.com/feed/update/{SHARE}/"


def test_little_text_escapes_every_reserved_character():
    assert little_text(r"a\b|c{d}e@f[g]h(i)j<k>l*m_n~o") == (
        r"a\\b\|c\{d\}e\@f\[g\]h\(i\)j\<k\>l\*m\_n\~o"
    )
    assert little_text("#Café time") == "{hashtag|\\#|Café} time"


def test_a_link_without_images_becomes_an_article(adapter, creds, posts):
    post = OutgoingPost(
        "Read our story", link="https://ember.example/story", options={"link_title": "Our story"}
    )
    adapter.publish(post, creds, "k")

    body = posts.calls("POST", POSTS)[0].json()
    assert body["commentary"] == "Read our story"
    assert body["content"] == {
        "article": {"source": "https://ember.example/story", "title": "Our story"}
    }


def test_images_are_initialised_uploaded_and_attached(adapter, creds, posts, server):
    urns = iter(["urn:li:image:C4E10AQFoyyAjHPMQuQ", "urn:li:image:D5F20BRGpzzBkIQNRvR"])

    def initialize(request: Recorded) -> Reply:
        urn = next(urns)
        upload = f"{server.url}/dms-uploads/{urn.rsplit(':', 1)[1]}"
        return Reply(200, {"value": {"uploadUrl": upload, "image": urn, "uploadUrlExpiresAt": 1}})

    server.route("POST", r"/rest/images", initialize)
    server.route("PUT", r"/dms-uploads/.+", Reply(201))
    media = [
        OutgoingMedia(b"\xff\xd8one", "image/jpeg", "First", 1200, 627),
        OutgoingMedia(b"\x89PNGtwo", "image/png", "", 1200, 627),
    ]
    adapter.publish(OutgoingPost("Two images", media=media), creds, "k")

    inits = server.calls("POST", r"/rest/images")
    assert [c.query for c in inits] == [{"action": ["initializeUpload"]}] * 2
    assert inits[0].json() == {"initializeUploadRequest": {"owner": ORG}}
    _assert_rest_headers(inits[0])
    puts = server.calls("PUT", r"/dms-uploads/.+")
    assert [p.body for p in puts] == [b"\xff\xd8one", b"\x89PNGtwo"]
    assert puts[0].header("Authorization") == "Bearer li-token"
    assert posts.calls("POST", POSTS)[0].json()["content"] == {
        "multiImage": {
            "images": [
                {"id": "urn:li:image:C4E10AQFoyyAjHPMQuQ", "altText": "First"},
                {"id": "urn:li:image:D5F20BRGpzzBkIQNRvR"},
            ]
        }
    }


def test_without_an_author_it_posts_as_the_signed_in_member(adapter, posts, server):
    server.route("GET", r"/v2/userinfo", Reply(200, {"sub": "782bbtaQ", "name": "Ana Ruiz"}))
    adapter.publish(OutgoingPost("Hello"), {"access_token": "li-token"}, "k")

    assert posts.calls("POST", POSTS)[0].json()["author"] == "urn:li:person:782bbtaQ"


def test_version_drift_says_to_update_the_version(server, fast, creds):
    adapter = LinkedInAdapter(base_url=server.url, version="202201", **fast)
    server.route(
        "POST",
        POSTS,
        Reply(
            426,
            {
                "status": 426,
                "code": "NONEXISTENT_VERSION",
                "message": "Requested version 20220101 is not active",
            },
        ),
    )
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")

    assert caught.value.kind == VERSION
    assert "202201" in caught.value.message
    assert "is not active" in caught.value.message
    assert "API version" in caught.value.action
    _assert_rest_headers(server.calls("POST", POSTS)[0], version="202201")


def test_an_invalid_token_asks_to_reconnect(adapter, creds, server):
    server.route(
        "POST",
        POSTS,
        Reply(
            401,
            {
                "status": 401,
                "serviceErrorCode": 65600,
                "code": "INVALID_ACCESS_TOKEN",
                "message": "Invalid access token",
            },
        ),
    )
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")
    assert caught.value.kind == AUTH
    assert "Invalid access token" in caught.value.message


def test_server_errors_are_transient_and_lost_answers_unknown(adapter, creds, server):
    server.next("POST", POSTS, Reply(503, {"message": "Service unavailable"}))
    server.route("POST", POSTS, Reply(201, headers={"x-restli-id": SHARE}, delay=SLOW))
    with pytest.raises(TransientError):
        adapter.publish(OutgoingPost("x"), creds, "k")
    with pytest.raises(UnknownOutcome):
        adapter.publish(OutgoingPost("x"), creds, "k")


def test_verify_reads_the_organization(adapter, creds, server):
    server.route(
        "GET",
        r"/rest/organizations/5515715",
        Reply(200, {"localizedName": "Ember Roasters", "vanityName": "ember-roasters"}),
    )
    info = adapter.verify(creds)
    assert info.display_name == "Ember Roasters"
    assert info.profile_url == "https://www.linkedin.com/company/ember-roasters/"
    assert info.account_id == ORG


def test_find_existing_lists_the_authors_posts(adapter, creds, server):
    created = int(datetime(2026, 11, 2, 10, tzinfo=UTC).timestamp() * 1000)
    server.route(
        "GET",
        POSTS,
        Reply(
            200,
            {
                "elements": [
                    {"id": "urn:li:share:1", "commentary": "Other", "createdAt": created},
                    {"id": "urn:li:share:2", "commentary": "Open \\(now\\)", "createdAt": created},
                ]
            },
        ),
    )
    since = datetime(2026, 11, 2, 9, tzinfo=UTC)

    found = adapter.find_existing(OutgoingPost("Open (now)"), creds, "k", since)

    assert found.platform_post_id == "urn:li:share:2"
    (call,) = server.calls("GET", POSTS)
    assert call.query["author"] == [ORG]
    assert call.query["q"] == ["author"]
    later = datetime(2026, 11, 3, tzinfo=UTC)
    assert adapter.find_existing(OutgoingPost("Open (now)"), creds, "k", later) is None
