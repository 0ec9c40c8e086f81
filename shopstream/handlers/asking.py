"""Questions, help and show control from chat."""

from __future__ import annotations

from collections.abc import Sequence

from chat_commands.intents import Help, ModCommand, Question
from connectors.events import ChatMessage, Priority, Reply
from shopstream.answers import QuestionKind, answer
from shopstream.handlers.context import ShowServices
from shopstream.handlers.control import ShowControl
from shopstream.runtime.pipeline import BROADCAST
from shopstream.show.commands import ModOutcome, OutcomeKind
from shopstream.show.cooldowns import Cooldowns
from shopstream.show.permissions import Actor


def featured_handle(svc: ShowServices, control: ShowControl) -> str | None:
    """The store handle of the featured product, if any."""
    code = control.state.featured
    if not code:
        return None
    product = svc.catalog.resolve(code)
    return product.handle if product else None


def handle_question(
    svc: ShowServices,
    control: ShowControl,
    cooldowns: Cooldowns,
    msg: ChatMessage,
    intent: Question,
) -> list[Reply]:
    """Answer from live inventory (or the FAQ), within the cooldowns."""
    wait = cooldowns.try_use(
        platform=msg.platform,
        channel=msg.channel,
        user_id=msg.author_id,
        command=f"q:{intent.kind.value}:{intent.product or ''}",
        bypass=msg.is_moderator,
    )
    if wait > 0:
        return []
    handle = intent.product or featured_handle(svc, control)
    view = svc.catalog.view(handle, svc.holds.free_stock) if handle else None
    text = answer(
        QuestionKind(intent.kind.value),
        view,
        templates=svc.templates,
        locale=intent.language,
        store_url=svc.store_url,
        faq=svc.faq,
        question=msg.text,
        only=tuple(intent.options.values()),
        not_offered=intent.not_offered,
    )
    return [svc.reply(msg, "answer", text)]


def handle_help(
    svc: ShowServices, control: ShowControl, cooldowns: Cooldowns, msg: ChatMessage, intent: Help
) -> list[Reply]:
    """Say how buying works, with the featured product's code."""
    if cooldowns.try_use(
        platform=msg.platform, channel=msg.channel, user_id=msg.author_id, command="help"
    ):
        return []
    code = control.state.featured or "101"
    return [svc.reply(msg, "help", svc.templates.render("help", intent.language, code=code))]


def handle_mod(
    svc: ShowServices, control: ShowControl, msg: ChatMessage, intent: ModCommand
) -> tuple[str, list[Reply]]:
    """Run a show-control command typed in chat; every attempt is audited, refused ones say so."""
    outcome, replies = show_command(
        svc,
        control,
        intent.name,
        intent.args,
        Actor.from_message(msg),
        who=msg.author_id or msg.author_name,
        key=f"announce:{msg.platform}:{msg.message_id}",
    )
    if outcome.kind is OutcomeKind.DENIED:
        return "denied", []  # ignored in chat (no reply to bait), written to the audit log
    return str(outcome.kind), replies


def show_command(
    svc: ShowServices,
    control: ShowControl,
    name: str,
    args: Sequence[str],
    actor: Actor,
    *,
    who: str | None,
    key: str,
) -> tuple[ModOutcome, list[Reply]]:
    """The one show-control path (chat commands and the dashboard's buttons): apply the
    command, write it to the audit log (``who`` as the actor), and return the announcement
    for every platform (a BROADCAST reply keyed ``key``; none when nothing changed)."""
    outcome = control.command(name, args, actor)
    svc.records.audit(
        "mod_denied" if outcome.kind is OutcomeKind.DENIED else "mod_command",
        platform=actor.platform,
        actor=who,
        subject=f"!{name} {' '.join(args)}".strip(),
        outcome=str(outcome.kind),
        detail=outcome.detail,
    )
    template = outcome.template
    if outcome.kind is OutcomeKind.DENIED or template is None:
        return outcome, []
    variables: dict[str, object] = dict(outcome.variables)
    handle = variables.get("handle")
    product = svc.catalog.products.get(str(handle)) if handle else None
    if product is None and "code" in variables:
        product = svc.catalog.resolve(str(variables["code"]))
    if product is not None:
        variables["product"] = product.title
        prices = sorted({v.price for v in product.variants})
        if prices:
            variables["price"] = svc.templates.price(prices[0], svc.catalog.currency)
    text = svc.templates.render(template, None, **variables)
    announcement = Reply(
        platform=BROADCAST,
        channel=BROADCAST,
        text=text,
        key=key,
        priority=Priority.ANNOUNCEMENT if template != "paused" else Priority.CLAIM,
        created_at=svc.clock(),
    )
    return outcome, [announcement]
