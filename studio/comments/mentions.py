"""@mentions: every member has a handle (their email's local part) matched case-insensitively."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from studio.models import Membership

# Not after a word character, "@" or ".": "ana@example.com" mentions nobody.
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._+-]{0,63})")
_TRAILING = "._-+"  # "thanks @wes." ends a sentence; it doesn't name "wes."


@dataclass(frozen=True)
class Member:
    handle: str
    membership: Membership

    @property
    def name(self) -> str:
        return self.membership.user.name


def _local(email: str) -> str:
    return email.split("@", 1)[0].lower()


def handles(memberships: Iterable[Membership]) -> dict[str, Member]:
    """Return each member by handle: the email's local part, or local.domain when shared."""
    members = list(memberships)
    counts = Counter(_local(m.user.email) for m in members)
    result: dict[str, Member] = {}
    for m in sorted(members, key=lambda m: m.user.email.lower()):
        local = _local(m.user.email)
        handle = local
        if counts[local] > 1:
            domain = m.user.email.rsplit("@", 1)[-1].split(".", 1)[0].lower()
            handle = f"{local}.{domain}"
            if handle in result:
                handle = f"{local}{m.user_id}"
        result[handle] = Member(handle, m)
    return result


def mentioned(body: str) -> list[str]:
    """Return the handles written as @handle in body, lower-cased, first mention first."""
    seen: list[str] = []
    for match in MENTION.finditer(body):
        handle = match.group(1).rstrip(_TRAILING).lower()
        if handle and handle not in seen:
            seen.append(handle)
    return seen


def segments(body: str) -> list[tuple[str, str]]:
    """Split body into ("text", …) and ("mention", "@handle") pieces for display."""
    pieces: list[tuple[str, str]] = []
    last = 0
    for match in MENTION.finditer(body):
        handle = match.group(1).rstrip(_TRAILING)
        begin, finish = match.start(), match.start() + 1 + len(handle)
        if begin > last:
            pieces.append(("text", body[last:begin]))
        pieces.append(("mention", body[begin:finish]))
        last = finish
    if last < len(body):
        pieces.append(("text", body[last:]))
    return pieces
