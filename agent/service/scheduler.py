"""Digests on a schedule: facts from the event history, worded like events, sent over MQTT."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler

from agent.adapters.history import EventHistory
from agent.config.cron import parse_crontab
from agent.config.schema import AppConfig, DigestConfig
from agent.core.digest import Digest, build_digest, digest_grounding
from agent.llm import LanguageModel, ModelUnavailable
from agent.llm.prompt import digest_facts_line
from agent.llm.summarizer import Summarizer

log = logging.getLogger(__name__)


def _local_now() -> datetime:
    return datetime.now().astimezone()


class DigestScheduler:
    """Runs each configured digest at its cron times (and on demand with `run`)."""

    def __init__(
        self,
        config: AppConfig,
        history: EventHistory,
        model: LanguageModel | None,
        publish: Callable[[Digest], object],
        clock: Callable[[], datetime] = _local_now,
    ) -> None:
        self._config = config
        self._history = history
        self._publish = publish
        self._clock = clock
        self._summarizer = (
            Summarizer(model, config.llm.domain, config.llm.max_tokens) if model else None
        )
        self._zones = {c.name: {z.name: z for z in c.zones} for c in config.cameras}
        self._scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        """Schedule every digest at local time; bad cron lines were rejected by the config."""
        scheduler = BackgroundScheduler()
        for d in self._config.digests:
            scheduler.add_job(
                self.run,
                parse_crontab(d.cron).trigger(),  # crontab's weekdays, not APScheduler's
                args=[d],
                id=d.name,
                replace_existing=True,
                coalesce=True,  # after a sleep or clock jump, one digest, not a burst
                misfire_grace_time=300,
                max_instances=1,
            )
        scheduler.start()
        self._scheduler = scheduler
        names = ", ".join(f"{d.name} ({d.cron})" for d in self._config.digests)
        log.info("digests scheduled: %s", names)

    def next_runs(self) -> dict[str, datetime | None]:
        """When each digest runs next (for `eva check`, diagnostics and tests)."""
        if self._scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def run(self, digest: DigestConfig) -> Digest:
        """Build, word and publish one digest now; returns what was published."""
        now = self._clock()
        language = self._config.language
        result = build_digest(
            self._history, digest.name, digest.window_hours, now, language, self._zones
        )
        result = self._word(result)
        self._publish(result)
        log.info(
            "digest %s published (%d events, %s)",
            digest.name,
            result.facts.total_events,
            result.summary_source,
        )
        return result

    def _word(self, digest: Digest) -> Digest:
        if self._summarizer is None or digest.facts.total_events == 0:
            return digest
        zones = {n: [n, z.display] for zs in self._zones.values() for n, z in zs.items()}
        try:
            summary = self._summarizer.word(
                digest_facts_line(digest.facts, digest.language),
                digest_grounding(digest.facts, digest.language, zones),
                digest.summary,
                time.monotonic() + self._config.llm.deadline_seconds * 3,
                digest.language,
            )
        except ModelUnavailable as e:
            log.warning("digest %s keeps its template text: %s", digest.name, e)
            return digest
        if not summary.from_model:
            return digest
        return digest.model_copy(update={"summary": summary.text, "summary_source": summary.source})
