"""Load the demo brand kits shipped in brand_kits/ into the demo brands."""

from __future__ import annotations

from studio.config import PROJECT_ROOT
from studio.kits.operations import get_kit, import_archive
from studio.models import Brand, Role, User, Workspace

DEMO_KITS_DIR = PROJECT_ROOT / "brand_kits"


def load_demo_kits(workspace: Workspace, brands: list[Brand], users: dict[Role, User]) -> None:
    """Import brand_kits/<brand slug>/ into each demo brand that has one."""
    for brand in brands:
        folder = DEMO_KITS_DIR / brand.slug
        if folder.is_dir():
            import_archive(get_kit(brand), folder, users.get(Role.BRAND_MANAGER))
