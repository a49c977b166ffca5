"""Readers' "not helpful" verdicts as draft golden records (`citeline eval --from-feedback`).

A draft holds what a person needs to review it (the question, the conversation's earlier
questions, the reader's note, the answer given and the lines it cited) and no gold: it is marked
`draft` and refused by `citeline eval` until someone fills it in (eval/README.md).
"""

import json
from datetime import UTC, date, datetime

from eval.golden import FEEDBACK_DRAFT, GoldenRecord, Line, ReaderFeedback
from ingest.settings import Settings
from service.conversations import JudgedTurn, open_conversations


def draft(judged: JudgedTurn) -> GoldenRecord:
    turn = judged.turn
    assert turn.feedback is not None  # only judged turns are listed
    return GoldenRecord(
        id=f"feedback-{judged.conversation_id}-{turn.number}",
        question=turn.question,
        history=judged.earlier,
        answerable=False,  # a placeholder: drafts are never scored
        kind=FEEDBACK_DRAFT,
        draft=True,
        feedback=ReaderFeedback(
            note=turn.feedback.note,
            answer=turn.answer,
            rewritten_question=turn.rewritten_question,
            cited=list(
                dict.fromkeys(
                    Line(source=c.source, line=n) for c in turn.citations for n in range(c.line_start, c.line_end + 1)
                )
            ),
            judged_at=datetime.fromtimestamp(turn.feedback.created, UTC).isoformat(timespec="seconds"),
        ),
    )


def drafts(settings: Settings, since: date | None = None) -> list[GoldenRecord]:
    """Drafts of every kept turn judged not helpful on or after `since` (a UTC day), oldest first,
    from the configured conversation database (PostgreSQL or the SQLite file)."""
    database = settings.conversations_path
    if not settings.conversations.database_url and not database.is_file():  # opening would create one
        raise FileNotFoundError(f"no conversation database at {database} (CITELINE_CONVERSATIONS_DB)")
    start = datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp() if since else 0.0
    store = open_conversations(settings)
    try:
        return [draft(judged) for judged in store.not_helpful_since(start)]
    finally:
        store.close()


def jsonl(records: list[GoldenRecord]) -> str:
    """The golden-set format, one record a line, with every field (the empty gold to fill in too)."""
    return "".join(json.dumps(r.as_json(), ensure_ascii=False) + "\n" for r in records)
