"""Buy, cart and cancel: claims become holds (or waitlist places) and replies carry links."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal

from chat_commands.catalog import CatalogProduct
from chat_commands.intents import Buy, Cancel, Cart, Waitlist
from chat_commands.parse import should_ask
from checkout_links.errors import LinkError
from checkout_links.service import viewer_key
from checkout_links.viewer_cart import viewer_cart
from connectors.events import ChatMessage, Priority, Reply
from shop_sync.hold_types import ClaimOutcome, ClaimRequest, HoldView
from shopstream.handlers.context import ShowServices
from shopstream.handlers.control import ShowControl
from shopstream.show.cooldowns import ClaimThrottle
from shopstream.storage.unit import on_rollback

_LOGGER = logging.getLogger(__name__)


def viewer_of(msg: ChatMessage) -> str:
    """The viewer id a claim is keyed by; a comment without identity is keyed by itself."""
    return msg.author_id or f"anon:{msg.message_id}"


def variant_label(product: CatalogProduct, variant_id: str | None) -> str:
    """How viewers see a variant: its option values, or nothing for a product without any."""
    for v in product.variants:
        if v.variant_id == variant_id:
            if v.title == "Default Title":
                return ""  # a product without options: its title says it all
            return " / ".join(v.options) if v.options else v.title
    return ""


def minutes_left(svc: ShowServices, hold: HoldView) -> int:
    """Whole minutes (at least one) until ``hold`` expires."""
    if hold.expires_at is None:
        return 0
    return max(1, round((hold.expires_at - svc.clock()).total_seconds() / 60))


def link_for(svc: ShowServices, msg: ChatMessage, holds: list[HoldView]) -> str | None:
    """One checkout link covering ``holds`` of the message's viewer."""
    return link_for_viewer(svc, msg.platform, viewer_of(msg), holds)


def link_for_viewer(
    svc: ShowServices, platform: str, viewer_id: str, holds: list[HoldView]
) -> str | None:
    """One checkout link covering ``holds`` of this viewer (never another viewer's)."""
    cart = viewer_cart(
        holds,
        platform=platform,
        viewer_id=viewer_id,
        viewer_key=viewer_key(platform, viewer_id),
        show=svc.show_id,
        now=svc.clock(),
    )
    if cart.request is None:
        return None
    try:
        return svc.links.link_for(cart.request)
    except (LinkError, ValueError):
        _LOGGER.exception("no checkout link for holds %s", [h.hold_id for h in holds])
        return None


def _only_variant(svc: ShowServices, intent: Buy | Waitlist) -> Buy | Waitlist:
    """A product with one variant and nothing left to ask: that variant (a store product
    without options has just its default variant, whose option value may be blank)."""
    product = svc.catalog.products.get(intent.product or "")
    if product is None or len(product.variants) != 1:
        return intent
    only = product.variants[0]
    return replace(intent, variant_id=only.variant_id, sku=only.sku)


def _ask_which(svc: ShowServices, msg: ChatMessage, intent: Buy | Waitlist) -> list[Reply]:
    lang = intent.language
    if intent.product is None:
        if not intent.candidates:
            return []
        titles = [
            svc.catalog.products[h].title for h in intent.candidates if h in svc.catalog.products
        ]
        text = svc.templates.render(
            "ambiguous", lang, candidates=svc.templates.join(titles, lang, last=True)
        )
        return [svc.reply(msg, "ask", text, priority=Priority.CLAIM)]
    product = svc.catalog.products.get(intent.product)
    if product is None:
        return []
    if not intent.missing:  # variants the store gives no option values to tell apart
        text = svc.templates.render(
            "ambiguous",
            lang,
            candidates=svc.templates.join([v.title for v in product.variants], lang, last=True),
        )
        return [svc.reply(msg, "ask", text, priority=Priority.CLAIM)]
    option = intent.missing[0]
    values = next((o.values for o in product.options if o.name == option), ())
    text = svc.templates.render(
        "missing_option",
        lang,
        option=option.lower(),
        product=product.title,
        options=svc.templates.join(list(values), lang),
    )
    return [svc.reply(msg, "ask", text, priority=Priority.CLAIM)]


@dataclass(frozen=True, slots=True)
class PreparedClaim:
    """A buy message checked and ready for the hold book."""

    msg: ChatMessage
    intent: Buy | Waitlist
    product: CatalogProduct
    variant: str
    code: str
    drop_open: bool
    request: ClaimRequest


def prepare_buy(
    svc: ShowServices,
    control: ShowControl,
    throttle: ClaimThrottle,
    msg: ChatMessage,
    intent: Buy | Waitlist,
) -> PreparedClaim | tuple[str, list[Reply]]:
    """Check a buy message; return the claim to make, or (outcome key, replies) right away."""
    lang = intent.language
    state = control.state
    if not state.claims_open:
        key = "show_closed" if state.closed else "paused"
        return key, [svc.reply(msg, key, svc.templates.render(key, lang))]
    if intent.product is not None and not intent.missing and not intent.variant_id:
        intent = _only_variant(svc, intent)
    if intent.product is None or intent.missing or not intent.variant_id:
        return "asked", _ask_which(svc, msg, intent)
    if should_ask(intent, svc.parser):
        return "asked", _ask_which(svc, msg, replace(intent, product=None))
    product = svc.catalog.products.get(intent.product)
    if product is None:
        return "unknown_product", []
    viewer = viewer_of(msg)
    if not throttle.allow(msg.platform, viewer):
        svc.records.audit("claim_throttled", platform=msg.platform, actor=viewer)
        return "throttled", []
    # the token lives in memory: a unit of work that rolls back gives it back, so the
    # batch's retry counts this claim once (not as a second claim, maybe throttled)
    on_rollback(svc.records.engine, lambda: throttle.refund(msg.platform, viewer))
    quantity = intent.quantity if isinstance(intent, Buy) else 1
    code = svc.catalog.code_of(product.handle)
    drop = state.drop_for(code)
    variant = variant_label(product, intent.variant_id)
    if drop is not None:
        if drop.remaining <= 0:
            text = svc.templates.render("sold_out", lang, product=product.title, variant=variant)
            return "drop_sold_out", [svc.reply(msg, "claim", text, priority=Priority.CLAIM)]
        if quantity > drop.cap:
            text = svc.templates.render("capped", lang, cap=drop.cap, product=product.title)
            return "capped", [svc.reply(msg, "claim", text, priority=Priority.CLAIM)]
    request = ClaimRequest(
        claim_key=f"{msg.platform}:{msg.message_id}",
        platform=msg.platform,
        viewer_id=viewer_of(msg),
        viewer_name=msg.author_name or "",
        variant_id=intent.variant_id,
        product_handle=product.handle,
        quantity=quantity,
        show_id=svc.show_id,
        sent_at=msg.order_time,  # the waitlist serves in the gate's order
    )
    return PreparedClaim(msg, intent, product, variant, code, drop is not None, request)


def finish_buy(
    svc: ShowServices, control: ShowControl, claim: PreparedClaim, outcome: ClaimOutcome
) -> tuple[str, list[Reply]]:
    """Record what the hold book decided and say it to the buyer."""
    quantity = claim.request.quantity
    if outcome.kind == "held" and claim.drop_open and not outcome.duplicate:
        control.take_drop(claim.code, quantity)
    _record_claim(svc, claim.msg, claim.intent, claim.product, quantity, outcome)
    replies = _claim_replies(svc, claim.msg, claim.intent, claim.product, claim.variant, outcome)
    return outcome.kind, replies


def _record_claim(
    svc: ShowServices,
    msg: ChatMessage,
    intent: Buy | Waitlist,
    product: CatalogProduct,
    quantity: int,
    outcome: ClaimOutcome,
) -> None:
    now = svc.clock()
    svc.records.record_claim(
        {
            "claim_key": f"{msg.platform}:{msg.message_id}",
            "show_id": svc.show_id,
            "platform": msg.platform,
            "message_id": msg.message_id,
            "viewer_id": msg.author_id,
            "viewer_name": msg.author_name,
            "text": msg.text[:2000],
            "product": product.handle,
            "sku": intent.sku,
            "variant_id": intent.variant_id,
            "quantity": quantity,
            "status": outcome.kind,
            "hold_id": outcome.hold.hold_id if outcome.hold else None,
            "sent_at": msg.sent_at,
            "created_at": now,
            "updated_at": now,
        }
    )
    svc.records.audit(
        "claim",
        platform=msg.platform,
        actor=viewer_of(msg),
        subject=f"{msg.platform}:{msg.message_id}",
        outcome=outcome.kind,
        variant=intent.variant_id,
        qty=quantity,
    )


def _claim_replies(
    svc: ShowServices,
    msg: ChatMessage,
    intent: Buy | Waitlist,
    product: CatalogProduct,
    variant: str,
    outcome: ClaimOutcome,
) -> list[Reply]:
    lang = intent.language
    if outcome.kind == "held" and outcome.hold is not None:
        link = link_for(svc, msg, [outcome.hold])
        if link is None:
            return []
        minutes = minutes_left(svc, outcome.hold)
        text = svc.templates.render(
            "held", lang, product=product.title, variant=variant, minutes=minutes, link=link
        )
        short_form: str | None = svc.templates.render(
            "held_short", lang, variant=variant or product.title, link=link
        )
        if msg.author_id is None:  # no identity on this comment: tell them how to get the link
            text = svc.templates.render("identity_needed", lang)
            short_form = None
        return [
            svc.reply(
                msg,
                "claim",
                text,
                priority=Priority.CLAIM,
                short=short_form,
                private=msg.platform in svc.private_link_platforms and msg.author_id is not None,
            )
        ]
    short: str | None = None
    label = variant or product.title
    if outcome.kind == "waitlisted":
        position = outcome.waitlist_position or 0
        text = svc.templates.render(
            "waitlisted", lang, product=product.title, variant=variant, position=position
        )
        short = svc.templates.render("waitlisted_short", lang, variant=label, position=position)
    elif outcome.kind == "capped":
        caps = svc.hold_config
        cap = caps.max_per_show if outcome.reason == "per_show" else caps.max_per_product
        text = svc.templates.render("capped", lang, cap=cap, product=product.title)
    elif outcome.kind == "sold_out":
        text = svc.templates.render("sold_out", lang, product=product.title, variant=variant)
        short = svc.templates.render("sold_out_short", lang, variant=label)
    else:
        return []
    return [svc.reply(msg, "claim", text, priority=Priority.CLAIM, short=short)]


def handle_cart(svc: ShowServices, msg: ChatMessage, intent: Cart) -> list[Reply]:
    """Answer ``!cart`` with one link covering all of the viewer's active holds."""
    holds = svc.holds.active_holds(platform=msg.platform, viewer_id=viewer_of(msg))
    if not holds:
        text = svc.templates.render("cart_empty", intent.language)
        return [svc.reply(msg, "cart", text)]
    link = link_for(svc, msg, holds)
    if link is None:
        return []
    items = []
    total = Decimal(0)
    for h in holds:
        found = svc.catalog.variants.get(h.variant_id)
        if found is None:
            continue
        product, variant = found
        items.append(f"{h.quantity}x {product.title} {variant_label(product, variant.variant_id)}")
        total += variant.price * h.quantity
    text = svc.templates.render(
        "cart",
        intent.language,
        items=svc.templates.join(items, intent.language),
        total=svc.templates.price(total, svc.catalog.currency, intent.language),
        link=link,
    )
    return [svc.reply(msg, "cart", text, priority=Priority.CLAIM)]


def handle_cancel(svc: ShowServices, msg: ChatMessage, intent: Cancel) -> list[Reply]:
    """Release the viewer's holds (all, or those of one product)."""
    ended = svc.holds.cancel(
        viewer_id=viewer_of(msg), platform=msg.platform, product_handle=intent.product
    )
    replies = []
    for hold in ended:
        svc.records.set_claim_status(hold.claim_key, "cancelled")
        found = svc.catalog.variants.get(hold.variant_id)
        if found is None:
            continue
        product, variant = found
        place = hold.status == "left_waitlist"  # a waitlist place, not a hold
        text = svc.templates.render(
            "place_cancelled" if place else "cancelled",
            intent.language,
            product=product.title,
            variant=variant_label(product, variant.variant_id),
        )
        replies.append(text)
    if not replies:
        return []
    return [svc.reply(msg, "cancel", " ".join(replies))]
