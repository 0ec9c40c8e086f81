"""Replies the scheduler sends about holds: reminders, expiries and waitlist promotions."""

from __future__ import annotations

from connectors.events import Priority, Reply
from shop_sync.hold_types import HoldView
from shopstream.handlers.buying import link_for_viewer, minutes_left, variant_label
from shopstream.handlers.context import ShowServices


def _labels(svc: ShowServices, hold: HoldView) -> tuple[str, str]:
    found = svc.catalog.variants.get(hold.variant_id)
    if found is None:
        return hold.product_handle, hold.sku
    product, variant = found
    return product.title, variant_label(product, variant.variant_id)


def hold_notice(svc: ShowServices, hold: HoldView, kind: str) -> Reply | None:
    """A reply telling the holder about ``kind`` (reminder, expired, waitlist_promoted).

    The reply's channel is left empty: the runner fills in the channel of the connector
    that serves the hold's platform.
    """
    product, variant = _labels(svc, hold)
    minutes = minutes_left(svc, hold)
    link = ""
    if kind in ("reminder", "waitlist_promoted"):
        link = link_for_viewer(svc, hold.platform, hold.viewer_id, [hold]) or ""
        if not link:
            return None
    text = svc.templates.render(
        kind, None, product=product, variant=variant, minutes=minutes, link=link
    )
    message_id = hold.claim_key.split(":", 1)[1] if ":" in hold.claim_key else None
    return Reply(
        platform=hold.platform,
        channel="",
        text=text,
        key=f"{kind}:{hold.hold_id}",
        reply_to_id=message_id,
        mention=hold.viewer_name or None,
        recipient_id=hold.viewer_id,
        priority=Priority.CLAIM if kind != "expired" else Priority.ANSWER,
        short=f"{variant} {link}" if link else None,
        created_at=svc.clock(),
        # a hold granted from the waitlist is a held buyer: the link goes privately where
        # the platform can (the comment's one private reply is still unused: a waitlist
        # place is told publicly); the outbox sends it publicly if it cannot
        private=kind == "waitlist_promoted" and hold.platform in svc.private_link_platforms,
    )


def expire_holds(svc: ShowServices) -> list[Reply]:
    """Release expired holds (stock returns; waiting buyers are promoted) and tell holders."""
    replies = []
    for hold in svc.holds.expire_due():
        svc.records.set_claim_status(hold.claim_key, "expired")
        notice = hold_notice(svc, hold, "expired")
        if notice is not None:
            replies.append(notice)
    return replies


def remind_holds(svc: ShowServices) -> list[Reply]:
    """Remind each holder once before the hold expires."""
    lead = svc.hold_config.reminder_lead
    return [n for h in svc.holds.due_reminders(lead) if (n := hold_notice(svc, h, "reminder"))]


def offer_waitlist(svc: ShowServices) -> list[Reply]:
    """Tell buyers promoted from a waitlist that stock is held for them now."""
    replies = []
    for hold in svc.holds.take_promotions():
        svc.records.set_claim_status(hold.claim_key, "held", hold_id=hold.hold_id)
        notice = hold_notice(svc, hold, "waitlist_promoted")
        if notice is not None:
            replies.append(notice)
    return replies
