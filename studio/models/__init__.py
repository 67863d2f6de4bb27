"""Typed SQLAlchemy models, one module per aggregate."""

from studio.models.analytics import MetricSnapshot, PublishedPost, Report, ReportTemplate
from studio.models.approvals import ApprovalDecision, ApprovalEvent, ApprovalStep, ShareLink
from studio.models.comments import Comment, CommentVisibility, Notification
from studio.models.exports import WorkspaceExport
from studio.models.kits import BrandKit, KitAsset, KitVersion
from studio.models.media import MediaCrop, MediaItem
from studio.models.posts import Post, PostRevision, PostStatus, PostVariant
from studio.models.publishing import Channel, PostSchedule, PublishAttempt, QueueSlot
from studio.models.users import User
from studio.models.workspaces import (
    Brand,
    ClientBrandAccess,
    Invitation,
    Membership,
    Role,
    Workspace,
)

__all__ = [
    "ApprovalDecision",
    "ApprovalEvent",
    "ApprovalStep",
    "Brand",
    "BrandKit",
    "Channel",
    "ClientBrandAccess",
    "Comment",
    "CommentVisibility",
    "Invitation",
    "KitAsset",
    "KitVersion",
    "MediaCrop",
    "MediaItem",
    "Membership",
    "MetricSnapshot",
    "Notification",
    "Post",
    "PostRevision",
    "PostSchedule",
    "PostStatus",
    "PostVariant",
    "PublishAttempt",
    "PublishedPost",
    "QueueSlot",
    "Report",
    "ReportTemplate",
    "Role",
    "ShareLink",
    "User",
    "Workspace",
    "WorkspaceExport",
]
