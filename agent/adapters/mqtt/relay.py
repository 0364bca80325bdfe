"""Sends the outbox to the broker in order, a bounded window at a time, while connected."""

from __future__ import annotations

import logging
import threading

from agent.adapters.mqtt.outbox import Outbox, OutboxRow
from agent.adapters.mqtt.publisher import MqttPublisher

log = logging.getLogger(__name__)


class OutboxRelay:
    """Moves rows from the outbox to paho while connected; deletes each on its PUBACK.

    Rows sent before a disconnect stay in paho's session queue, which re-sends them after
    the reconnect, so the relay never sends a row twice within one run. After a restart,
    rows from the previous run are sent again (at least once; consumers de-duplicate by id).
    """

    def __init__(self, publisher: MqttPublisher, outbox: Outbox, window: int = 50) -> None:
        self._publisher = publisher
        self._outbox = outbox
        self._window = window
        self._cond = threading.Condition()
        self._in_flight: set[int] = set()  # seqs handed to paho, not yet acknowledged
        self._last_disk_seq = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        publisher.on_connected(self.wake)

    def start(self) -> None:
        self._thread.start()

    def send(self, topic: str, payload: bytes, severity: str = "info") -> int:
        """Store the message, then let the relay send it; returns its outbox sequence."""
        seq = self._outbox.add(topic, payload, severity)
        self.wake()
        return seq

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def outbox_depth(self) -> int:
        """Messages stored and not yet acknowledged by the broker."""
        return self._outbox.depth()

    @property
    def in_flight(self) -> int:
        with self._cond:
            return len(self._in_flight)

    def wait_until_empty(self, timeout: float) -> bool:
        """Wait until the outbox is empty (everything acknowledged); False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._in_flight and self._outbox.depth() == 0, timeout
            )

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                room = self._window - len(self._in_flight)
                exclude = set(self._in_flight)
                after = self._last_disk_seq
            rows = (
                self._outbox.unsent(after, exclude, room)
                if room > 0 and self._publisher.connected
                else []
            )
            if not rows:
                with self._cond:
                    # Woken by new rows, an ack (room), a reconnect, or every second anyway.
                    self._cond.wait(1.0)
                continue
            for row in rows:
                if not self._send(row):
                    break

    def _send(self, row: OutboxRow) -> bool:
        with self._cond:
            self._in_flight.add(row.seq)
            if row.seq > 0:
                self._last_disk_seq = max(self._last_disk_seq, row.seq)
        try:
            self._publisher.publish(
                row.topic, row.payload, is_event=True, on_ack=lambda: self._acked(row.seq)
            )
        except RuntimeError as e:  # closed, or paho refused it: keep the row on disk
            with self._cond:
                self._in_flight.discard(row.seq)
                if row.seq > 0:  # send it again next round
                    self._last_disk_seq = min(self._last_disk_seq, row.seq - 1)
            log.warning("outbox: cannot hand message %d to MQTT: %s", row.seq, e)
            with self._cond:
                self._cond.wait(1.0)
            return False
        return True

    def _acked(self, seq: int) -> None:
        self._outbox.delete(seq)
        with self._cond:
            self._in_flight.discard(seq)
            self._cond.notify_all()
