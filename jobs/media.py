"""Media jobs: every preset of an image, and the profile-asset ZIP."""

from __future__ import annotations

from typing import Any

from jobs.progress import report
from studio.extensions import db
from studio.models import Brand, MediaItem, User


def render_all(media_id: int) -> str:
    """Make every rendition of an item not cached yet; running it again changes nothing."""
    from studio.assets import operations as ops

    item = db.session.get(MediaItem, media_id)
    if item is None:
        return "gone"  # deleted after the job was queued: nothing to make
    report(2, "Reading the original…")

    def progress(done: int, total: int, message: str) -> None:
        report(round(100 * done / max(1, total)) if done < total else 99, message)

    made = ops.ensure_renditions(item, ops.all_preset_ids(), progress)
    report(100, f"All {len(made)} renditions are ready.")
    return f"{len(made)} renditions"


def build_profile_zip(brand_id: int, design_json: dict[str, Any], requested_by: int | None) -> str:
    """Build and store the ZIP of every platform's profile assets for one design."""
    from studio.assets import profiles

    brand = db.session.get(Brand, brand_id)
    if brand is None:
        return "gone"
    requester = db.session.get(User, requested_by) if requested_by else None
    report(2, "Composing every platform's avatar and header…")

    def progress(done: int, total: int) -> None:
        report(min(97, round(95 * done / max(1, total))), f"Composed {done} of {total}")

    choice = profiles.DesignChoice.from_json(design_json)
    digest, made = profiles.build_zip(brand, choice, progress)
    who = f" for {requester.name}" if requester else ""
    report(100, f"ZIP ready{who}." if made else "ZIP ready (made earlier).")
    return digest
