"""Analytics and reports: published posts' metric snapshots, followers, CSV imports, reports.

A :class:`PublishedPost` is one post as it went out on one platform, keyed by the platform
and its external id or URL (``studio.analytics.csvimport.ImportedRow.key`` without the
date), and linked to Plume's :class:`~studio.models.posts.Post` when Plume published it.
Its metrics are snapshotted over time (:class:`MetricSnapshot`, one row per day) and the
latest snapshot is copied onto the post row, so the summaries read one row per post.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.extensions import db
from studio.models.base import UTCDateTime, utcnow
from studio.models.posts import Post
from studio.models.users import User
from studio.models.workspaces import Brand

# The metrics a snapshot holds (studio.analytics.metrics.POST_METRICS), as columns.
SNAPSHOT_METRICS = (
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "link_clicks",
    "video_views",
)


class PublishedPost(db.Model):
    """One post as published on one platform, with its latest metrics."""

    __tablename__ = "analytics_posts"
    __table_args__ = (
        UniqueConstraint("brand_id", "platform", "external_key", name="uq_analytics_posts_key"),
        Index("ix_analytics_posts_brand_published", "brand_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    # Plume's post, when Plume published it (or an import's id matched one of its attempts).
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), index=True, default=None
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), index=True, default=None
    )
    platform: Mapped[str] = mapped_column(String(20))
    # "id:<platform id>" or "url:<normalised URL>": the natural key imports upsert on.
    external_key: Mapped[str] = mapped_column(String(600))
    external_id: Mapped[str | None] = mapped_column(String(300), default=None)
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    caption: Mapped[str] = mapped_column(Text, default="")
    campaign: Mapped[str] = mapped_column(String(200), default="")
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(10), default="csv")  # csv | api | demo
    # The latest snapshot's values (0 where the platform reports nothing).
    impressions: Mapped[int] = mapped_column(default=0)
    reach: Mapped[int] = mapped_column(default=0)
    likes: Mapped[int] = mapped_column(default=0)
    comments: Mapped[int] = mapped_column(default=0)
    shares: Mapped[int] = mapped_column(default=0)
    saves: Mapped[int] = mapped_column(default=0)
    link_clicks: Mapped[int] = mapped_column(default=0)
    video_views: Mapped[int] = mapped_column(default=0)
    latest_snapshot: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brand: Mapped[Brand] = relationship()
    post: Mapped[Post | None] = relationship()


class MetricSnapshot(db.Model):
    """A published post's cumulative metrics as read on one day (None: not reported)."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (
        UniqueConstraint("published_post_id", "snapshot_date", name="uq_metric_snapshots_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    published_post_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_posts.id", ondelete="CASCADE")
    )
    snapshot_date: Mapped[date] = mapped_column(Date)
    impressions: Mapped[int | None] = mapped_column(default=None)
    reach: Mapped[int | None] = mapped_column(default=None)
    likes: Mapped[int | None] = mapped_column(default=None)
    comments: Mapped[int | None] = mapped_column(default=None)
    shares: Mapped[int | None] = mapped_column(default=None)
    saves: Mapped[int | None] = mapped_column(default=None)
    link_clicks: Mapped[int | None] = mapped_column(default=None)
    video_views: Mapped[int | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(10), default="csv")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def values(self) -> dict[str, int | None]:
        return {key: getattr(self, key) for key in SNAPSHOT_METRICS}


class FollowerCount(db.Model):
    """A channel's followers at the end of one day; imports without a channel use ''."""

    __tablename__ = "follower_counts"
    __table_args__ = (
        UniqueConstraint(
            "brand_id", "platform", "account_key", "day", name="uq_follower_counts_day"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), default=None
    )
    platform: Mapped[str] = mapped_column(String(20))
    account_key: Mapped[str] = mapped_column(String(40), default="")  # "channel:<id>" or ""
    day: Mapped[date] = mapped_column(Date)
    followers: Mapped[int]


class CsvMapping(db.Model):
    """The column mapping last used for one platform's exports, remembered per brand."""

    __tablename__ = "analytics_csv_mappings"
    __table_args__ = (UniqueConstraint("brand_id", "platform", name="uq_csv_mappings_platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    # ColumnMapping.to_dict(): {"platform", "columns": {field: header}, "date_format"}
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetricImport(db.Model):
    """One uploaded CSV export: its file, the mapping it was read with, and the outcome."""

    __tablename__ = "analytics_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    blob_key: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(default=0)
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    snapshot_date: Mapped[date | None] = mapped_column(Date, default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # uploaded (waiting for its mapping) | queued | running | finished | failed
    status: Mapped[str] = mapped_column(String(12), default="uploaded")
    job_id: Mapped[str | None] = mapped_column(String(100), default=None)
    rows_read: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)  # rows that added or changed a snapshot
    unchanged: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    # The first errors: [{"line", "column", "message", "fatal"}]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    brand: Mapped[Brand] = relationship()
    created_by: Mapped[User | None] = relationship()


class ReportTemplate(db.Model):
    """A workspace's report layout: which sections, in which order."""

    __tablename__ = "report_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True
    )
    # [{"key": "cover", "on": true}, ...] in display order (studio.reports.sections).
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    top_posts: Mapped[int] = mapped_column(default=10)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportSchedule(db.Model):
    """Monthly automatic reports for one brand: on which day and hour (brand time)."""

    __tablename__ = "report_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    day_of_month: Mapped[int] = mapped_column(default=1)  # 1-28
    hour: Mapped[int] = mapped_column(default=8)  # 0-23, the brand's local time
    summary: Mapped[str] = mapped_column(Text, default="")  # the automatic reports' summary
    last_period: Mapped[str | None] = mapped_column(String(20), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brand: Mapped[Brand] = relationship()
    created_by: Mapped[User | None] = relationship()


class Report(db.Model):
    """A rendered (or rendering) PDF report for one brand and period, with its parameters."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_brand_created", "brand_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="")
    period: Mapped[str] = mapped_column(String(40))  # as Period.__str__ writes it
    # {"sections": [...], "top_posts": n, "platforms": [...] | None, "summary": str}
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # running|finished|failed
    error: Mapped[str | None] = mapped_column(Text, default=None)
    job_id: Mapped[str | None] = mapped_column(String(100), default=None)
    blob_key: Mapped[str | None] = mapped_column(String(300), default=None)
    size_bytes: Mapped[int | None] = mapped_column(default=None)
    pages: Mapped[int | None] = mapped_column(default=None)
    render_ms: Mapped[int | None] = mapped_column(default=None)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_schedules.id", ondelete="SET NULL"), default=None
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    brand: Mapped[Brand] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def ready(self) -> bool:
        return self.status == "finished" and bool(self.blob_key)

    @property
    def filename(self) -> str:
        return f"{self.brand.slug}-report-{self.period.replace('..', '-to-')}.pdf"


class ReportDownload(db.Model):
    """Who downloaded a report, when, and how (studio, portal or a signed link)."""

    __tablename__ = "report_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    via: Mapped[str] = mapped_column(String(10))  # studio | portal | link
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()
