"""Intent handlers: what shopstream does with each chat event.

``chat.ChatHandler`` takes a batch of events and dispatches each by intent to ``buying``
(claims, carts, cancels), ``asking`` (questions, help, moderator commands) and ``control``
(the show's state); ``context.ShowServices`` is what they all work with.
"""

from shopstream.handlers.chat import ChatHandler
from shopstream.handlers.context import ShowServices
from shopstream.handlers.control import ShowControl

__all__ = ["ChatHandler", "ShowControl", "ShowServices"]
