"""What the broker holds for classify_image, so that the sweep re-queues only what is really lost."""

import base64
import json
import logging

logger = logging.getLogger(__name__)

CLASSIFY_TASK = "diagnosis.tasks.classify_image"


def _image_id(payload, *, fresh_only: bool = False) -> int | None:
    """The image id of a kombu Redis message (a dict, or a JSON string of one), None for other tasks.

    `fresh_only`: None also for a retry (it waits out a countdown) and a message given back after a worker died.
    """
    message = json.loads(payload) if isinstance(payload, (str, bytes)) else payload
    headers = message.get("headers", {})
    if headers.get("task") != CLASSIFY_TASK:
        return None
    if fresh_only and (headers.get("retries") or headers.get("eta") or headers.get("redelivered")):
        return None
    body = message["body"]
    if message.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args = json.loads(body)[0]
    return int(args[0]) if args else None


def queued_image_ids(app, queue: str = "inference") -> set[int] | None:
    """Ids of the images with a classify_image message in Redis: waiting in the queue (every priority level) or
    delivered and not yet acknowledged (running, or held by a worker until a retry's countdown ends).

    None when the broker is not Redis: there is no looking, and the caller must go by time alone.
    """
    with app.connection_for_read() as connection:
        if connection.transport.driver_type != "redis":
            return None
        channel = connection.default_channel
        keys = [queue] + [f"{queue}{channel.sep}{step}" for step in channel.priority_steps if step]
        # One MULTI/EXEC: a message moving from the queue to the unacknowledged set is seen in one of them.
        pipe = channel.client.pipeline(transaction=True)
        for key in keys:
            pipe.lrange(key, 0, -1)
        pipe.hvals(channel.unacked_key)
        *queued, unacked = pipe.execute()
    ids = set()
    for raw in [m for messages in queued for m in messages] + [json.loads(u)[0] for u in unacked]:
        try:
            image_id = _image_id(raw)
        except (ValueError, KeyError, IndexError, TypeError):
            logger.warning("unreadable message in the broker; ignored")
            continue
        if image_id is not None:
            ids.add(image_id)
    return ids


def next_fresh_messages(app, limit: int, queue: str = "inference") -> list[tuple[int, str, bytes]]:
    """(image id, Redis key, raw message) of the first classify_image messages next in the queue, in delivery
    order, up to `limit`: only looked at, not taken. [] when the broker is not Redis."""
    if limit <= 0:
        return []
    with app.pool.acquire(block=True) as connection:
        if connection.transport.driver_type != "redis":
            return []
        channel = connection.default_channel
        found: list[tuple[int, str, bytes]] = []
        # kombu pushes on the left and delivers from the right, highest priority (lowest step) first.
        for step in channel.priority_steps:
            key = f"{queue}{channel.sep}{step}" if step else queue
            for raw in reversed(channel.client.lrange(key, -limit, -1)):
                try:
                    image_id = _image_id(raw, fresh_only=True)
                except (ValueError, KeyError, IndexError, TypeError):
                    continue
                if image_id is not None and all(image_id != i for i, _, _ in found):
                    found.append((image_id, key, raw))
            if len(found) >= limit:
                break
    return found[:limit]


def messages_drop(app, messages: list[tuple[str, bytes]]) -> None:
    """Take out of the queue messages whose work is done and committed (images classified along in a batch), so
    that no worker receives them only to acknowledge. One that a worker took meanwhile is simply not found."""
    if not messages:
        return
    with app.pool.acquire(block=True) as connection:
        pipe = connection.default_channel.client.pipeline(transaction=False)
        for key, raw in messages:
            pipe.lrem(key, 1, raw)
        pipe.execute()
