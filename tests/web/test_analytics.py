"""The analytics page (filters, KPIs, charts, rankings) and CSV imports through the UI."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from studio.analytics.metrics import METRICS
from studio.extensions import db
from studio.models import Role
from studio.models.analytics import CsvMapping, MetricImport, MetricSnapshot, PublishedPost
from tests.support.reports import add_year


@pytest.fixture
def shop(app, make):
    workspace = make.workspace()
    brand = make.brand(workspace, name="Harbour Tea", slug="harbour-tea")
    other = make.brand(workspace, name="Secret Brand", slug="secret-brand")
    manager = make.member(workspace, Role.BRAND_MANAGER)
    client_member = make.member(workspace, Role.CLIENT, brands=[brand])
    designer = make.member(workspace, Role.DESIGNER)
    with app.app_context():
        add_year(brand, manager)
    return {
        "ws": workspace,
        "brand": brand,
        "other": other,
        "manager": manager,
        "client": client_member,
        "designer": designer,
    }


def _url(shop, suffix: str = "", brand=None) -> str:
    brand = brand or shop["brand"]
    return f"/w/{shop['ws'].slug}/brands/{brand.id}/analytics{suffix}"


def test_page_shows_kpis_with_deltas_charts_rankings_heatmap_and_definitions(client, shop, login):
    login(shop["manager"].user)
    response = client.get(_url(shop, "?period=2026-10"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "October 2026" in page and "compared with September 2026" in page
    kpis = re.findall(r'<li class="kpi card" data-metric="(\w+)"', page)
    assert kpis[:5] == ["posts", "impressions", "reach", "engagements", "engagement_rate"]
    assert "followers" in kpis
    # Every KPI has a change against the previous period, and its definition.
    assert page.count('class="kpi-delta') == len(kpis)
    assert METRICS["reach"].definition in page
    assert METRICS["engagement_rate"].definition in page
    # Six server-rendered charts, each with a text alternative.
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 6
    assert page.count('role="img"') >= 6
    # Trends and heatmap have their own tables; the bar charts' figures are the breakdowns'.
    assert page.count('class="plume-chart-table"') == 3
    # Top and weakest posts, with the library picture as their thumbnail.
    top = page.split('id="top-posts"')[1].split("</ol>")[0]
    assert top.count('class="ranked-post"') == 5
    assert "/media/" in top and "thumb" in top
    assert 'id="bottom-posts"' in page
    assert "Best slots:" in page
    assert 'id="platform-table"' in page and 'id="campaign-table"' in page


def test_filters_are_in_the_url_and_update_the_page_with_htmx(client, shop, login):
    login(shop["manager"].user)
    page = client.get(_url(shop)).get_data(as_text=True)
    form = page.split('class="card analytics-filters"')[1].split("</form>")[0]
    assert 'hx-push-url="true"' in form and 'hx-target="#analytics-body"' in form
    for name in ("period", "platform", "campaign", "label", "metric"):
        assert f'name="{name}"' in form
    fragment = client.hx_get(_url(shop, "?period=2026-10&platform=mastodon&metric=likes"))
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="analytics-body"')
    assert "<html" not in text
    table = text.split('id="platform-table"')[1].split("</table>")[0]
    assert "Mastodon" in table and "Instagram" not in table
    assert "Likes per day, by platform" in text


def test_campaign_and_label_filters_narrow_the_posts(client, shop, login):
    login(shop["manager"].user)
    with_campaign = client.get(_url(shop, "?period=2026&campaign=Holiday+gifting"))
    assert with_campaign.status_code == 200
    table = (
        with_campaign.get_data(as_text=True).split('id="campaign-table"')[1].split("</table>")[0]
    )
    assert "Holiday gifting" in table and "No campaign" not in table
    labelled = client.get(_url(shop, "?period=2026&label=promo"))
    assert labelled.status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?period=2026-13", "month 13 does not exist"),
        ("?period=yesterday", "is not a period"),
        ("?platform=tiktok", "has no published posts on"),
        ("?campaign=Nope", "There is no campaign called"),
        ("?metric=followers", "is not a metric the trend can show"),
    ],
)
def test_bad_filters_answer_422_and_show_the_default_view(client, shop, login, query, message):
    login(shop["manager"].user)
    response = client.get(_url(shop, query))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_period_without_posts_says_so(client, shop, login):
    login(shop["manager"].user)
    page = client.get(_url(shop, "?period=2024-01")).get_data(as_text=True)
    assert "No posts were published in January 2024" in page
    assert "This brand has published posts from" in page
    assert "No data for this period" in page  # the charts say it too


def test_client_sees_their_brand_and_nothing_of_another(client, shop, login):
    login(shop["client"].user)
    assert client.get(_url(shop, "?period=2026-10")).status_code == 200
    response = client.get(_url(shop, brand=shop["other"]))
    assert response.status_code == 404
    assert "Secret Brand" not in response.get_data(as_text=True)
    assert client.get(_url(shop, "/import")).status_code == 403


# CSV imports -------------------------------------------------------------------------------

HEADER = "Post ID,Permalink,Publish time,Description,Views,Reach,Likes,Comments,Shares,Saves\n"
ROWS = (
    "ig-1,https://instagram.example/p/1,2026-10-03 09:15,Autumn blend ☕,1200,900,80,5,3,9\n"
    "ig-2,https://instagram.example/p/2,2026-10-05 18:00,<b>Bold</b> claims,800,650,40,2,1,4\n"
    "ig-3,https://instagram.example/p/3,not a date,Broken,10,10,1,0,0,0\n"
    "ig-4,https://instagram.example/p/4,2026-10-07 12:00,Negative,100,-5,1,0,0,0\n"
    "ig-5,https://instagram.example/p/5,2026-10-09 07:30,Sunrise,300,280,30,1,0,2\n"
)


def _upload(client, shop, content: str, platform: str = "instagram", name: str = "ig.csv"):
    return client.form(
        _url(shop, "/import"),
        {"platform": platform, "file": (io.BytesIO(content.encode()), name)},
    )


def _start(client, shop, import_id: int, **fields):
    data = {
        "col_post_id": "Post ID",
        "col_post_url": "Permalink",
        "col_published_at": "Publish time",
        "col_caption": "Description",
        "col_impressions": "Views",
        "col_reach": "Reach",
        "col_likes": "Likes",
        "col_comments": "Comments",
        "col_shares": "Shares",
        "col_saves": "Saves",
        "date_format": "",
        "snapshot_date": "2026-10-31",
    }
    data.update(fields)
    return client.form(_url(shop, f"/imports/{import_id}"), data)


def _import_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_csv_import_maps_columns_streams_rows_and_lists_row_errors(client, shop, login, run_jobs):
    login(shop["manager"].user)
    import_id = _import_id(_upload(client, shop, HEADER + ROWS))
    mapping = client.get(_url(shop, f"/imports/{import_id}")).get_data(as_text=True)
    # The suggestion is filled in from the platform's known headers.
    assert re.search(r'name="col_reach"[^>]*>.*?<option value="Reach" selected>', mapping, re.S)
    assert re.search(r'name="col_post_id"[^>]*>.*?<option value="Post ID" selected>', mapping, re.S)
    assert "Autumn blend" in mapping  # the first rows are shown
    response = _start(client, shop, import_id)
    assert response.status_code == 303
    run_jobs()
    done = client.get(_url(shop, f"/imports/{import_id}")).get_data(as_text=True)
    row = db.session.get(MetricImport, import_id)
    db.session.refresh(row)
    assert row.status == "finished", row.message
    assert (row.rows_read, row.imported, row.unchanged, row.error_count) == (5, 3, 0, 2)
    assert 'id="import-errors"' in done
    assert "is not a date in the format" in done and "is negative" in done
    assert ">4<" in done.split('id="import-errors"')[1]  # line 4 holds the bad date
    posts = db.session.scalars(
        select(PublishedPost).where(
            PublishedPost.brand_id == shop["brand"].id, PublishedPost.source == "csv"
        )
    ).all()
    assert sorted(p.external_key for p in posts) == ["id:ig-1", "id:ig-2", "id:ig-5"]
    first = next(p for p in posts if p.external_id == "ig-1")
    assert (first.impressions, first.reach, first.likes, first.saves) == (1200, 900, 80, 9)
    assert first.caption == "Autumn blend ☕"
    # The mapping is remembered for the brand's next Instagram export.
    remembered = db.session.scalar(
        select(CsvMapping).where(
            CsvMapping.brand_id == shop["brand"].id, CsvMapping.platform == "instagram"
        )
    )
    assert remembered.mapping["columns"]["reach"] == "Reach"


def test_importing_the_same_file_again_changes_nothing(client, shop, login, run_jobs):
    login(shop["manager"].user)
    first = _import_id(_upload(client, shop, HEADER + ROWS))
    _start(client, shop, first)
    run_jobs()

    def state():
        db.session.expire_all()
        snaps = db.session.execute(
            select(MetricSnapshot.id, MetricSnapshot.updated_at, MetricSnapshot.likes)
            .join(PublishedPost)
            .where(PublishedPost.brand_id == shop["brand"].id, PublishedPost.source == "csv")
            .order_by(MetricSnapshot.id)
        ).all()
        posts = db.session.execute(
            select(PublishedPost.id, PublishedPost.updated_at, PublishedPost.likes)
            .where(PublishedPost.source == "csv")
            .order_by(PublishedPost.id)
        ).all()
        return snaps, posts

    before = state()
    second = _import_id(_upload(client, shop, HEADER + ROWS))
    page = client.get(_url(shop, f"/imports/{second}")).get_data(as_text=True)
    assert "Using the columns you chose last time" in page
    _start(client, shop, second)
    run_jobs()
    row = db.session.get(MetricImport, second)
    db.session.refresh(row)
    assert (row.imported, row.unchanged, row.error_count) == (0, 3, 2)
    assert state() == before


def test_a_later_snapshot_updates_the_latest_metrics_and_keeps_unreported_ones(
    client, shop, login, run_jobs
):
    login(shop["manager"].user)
    _start(client, shop, _import_id(_upload(client, shop, HEADER + ROWS)))
    later = HEADER.replace(",Saves", "") + (
        "ig-1,https://instagram.example/p/1,2026-10-03 09:15,Autumn blend ☕,1500,1000,95,6,4\n"
    )
    second = _import_id(_upload(client, shop, later))
    _start(client, shop, second, col_saves="", snapshot_date="2026-11-07")
    run_jobs()
    post = db.session.scalar(select(PublishedPost).where(PublishedPost.external_id == "ig-1"))
    db.session.refresh(post)
    assert (post.impressions, post.likes, post.saves) == (1500, 95, 9)  # saves kept
    assert str(post.latest_snapshot) == "2026-11-07"
    count = db.session.scalar(
        select(func.count())
        .select_from(MetricSnapshot)
        .where(MetricSnapshot.published_post_id == post.id)
    )
    assert count == 2


def test_a_mapping_without_the_needed_columns_is_refused_with_what_is_missing(client, shop, login):
    login(shop["manager"].user)
    import_id = _import_id(_upload(client, shop, "Foo,Bar,Baz\n1,2,3\n"))
    page = client.get(_url(shop, f"/imports/{import_id}")).get_data(as_text=True)
    assert "Still needed:" in page
    response = client.form(
        _url(shop, f"/imports/{import_id}"), {"col_likes": "Bar", "snapshot_date": "2026-10-31"}
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "a Post ID or Post URL column" in text and "a Published at column" in text
    assert db.session.get(MetricImport, import_id).status == "uploaded"
    # A column the file does not have is named.
    response = _start(client, shop, import_id, col_post_id="Nope")
    assert response.status_code == 422
    assert "the file has no column" in response.get_data(as_text=True)


def test_without_a_snapshot_column_the_export_day_is_required(client, shop, login):
    login(shop["manager"].user)
    import_id = _import_id(_upload(client, shop, HEADER + ROWS))
    response = _start(client, shop, import_id, snapshot_date="")
    assert response.status_code == 422
    assert "Say on which day the export was made" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("content", "platform", "message"),
    [
        ("", "instagram", "The file is empty"),
        ("just one column\n1\n", "instagram", "at least two columns"),
        (HEADER + ROWS, "", "Choose the platform"),
        ("\x00\x01binary", "instagram", "not a CSV file"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(client, shop, login, content, platform, message):
    login(shop["manager"].user)
    response = _upload(client, shop, content, platform=platform)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_designers_and_clients_may_not_import(client, shop, login):
    login(shop["designer"].user)
    assert _upload(client, shop, HEADER + ROWS).status_code == 403
    assert client.get(_url(shop, "/import")).status_code == 403
