"""Readable reports of a run: a terminal table, report.md and a self-contained report.html."""

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from eval.gate import LOWER_IS_BETTER

if TYPE_CHECKING:
    from eval.run import Results, Summary

REPORTS_DIR = Path(__file__).resolve().parent / "reports"
SHARE_METRICS = [
    "gold_citation_recall",
    "gold_citation_precision",
    "no_wrong_citation",
    "unanswerable_refused",
    "hit_rate",
    "mrr",
    "citation_validity",
    "markers_resolved",
    "citation_recall",
    "citation_recall_llm",
    "citation_precision",
    "key_fact_recall",
    "trap_rate",
    "refusal_accuracy",
    "followup_success",
    "accuracy",
    "time_accuracy",
]
TIME_METRICS = ["latency_p50_ms", "latency_p95_ms"]


def _fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


# Judged by the run-time support filter itself, which a verbatim quote always passes.
AGREEMENT = {"citation_recall", "citation_recall_llm", "citation_precision"}


def label(name: str) -> str:
    if name in AGREEMENT:
        return f"{name} (agreement with the run-time filter)"
    return f"{name} (lower is better)" if name in LOWER_IS_BETTER else name


def header(summary: "Summary") -> list[str]:
    return ["metric", *summary.systems, "Δ baseline"]


def rows(summary: "Summary") -> list[list[str]]:
    """metric, each system (citeline first), change of citeline since the baseline."""
    out = []
    for name in SHARE_METRICS + TIME_METRICS:
        digits = 1 if name in TIME_METRICS else 3
        delta = summary.baseline_delta.get(name)
        change = "–" if delta is None else ("+" if delta > 0 else "") + _fmt(delta, digits)
        values = [_fmt(metrics.get(name), digits) for metrics in summary.systems.values()]
        out.append([label(name), *values, change])
    return out


def kind_rows(summary: "Summary") -> list[list[str]]:
    """Per class of question: how many, and each system's accuracy on them."""
    kinds = sorted({kind for per_system in summary.by_kind.values() for kind in per_system})
    out = []
    for kind in kinds:
        counts = [s.get(kind, {}).get("questions") for s in summary.by_kind.values()]
        values = [_fmt(summary.by_kind[name].get(kind, {}).get("accuracy")) for name in summary.systems]
        out.append([kind, _fmt(next((c for c in counts if c), 0)), *values])
    return out


def kind_header(summary: "Summary") -> list[str]:
    return ["kind", "questions", *(f"{name} accuracy" for name in summary.systems)]


def counted(summary: "Summary") -> str:
    """How many questions, saying how many of them were unreviewed drafts (never scored)."""
    drafts = f" ({summary.drafts} unreviewed drafts among them, asked but not scored)" if summary.drafts else ""
    return f"{summary.questions} questions{drafts}"


def terminal(summary: "Summary") -> str:
    table = [header(summary), *rows(summary)]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    verdict = "gate: PASSED" if summary.gate.passed else "gate: FAILED\n  " + "\n  ".join(summary.gate.failures)
    return "\n".join(lines) + f"\n{counted(summary)}\n" + verdict


# How each verdict reads in report.md and report.html.
WORDS = {"ok": "yes", "bad": "NO", "draft": "draft"}
MARKS = {"ok": "✔", "bad": "✘", "draft": "–"}


def verdict(q) -> tuple[str, str]:  # noqa: ANN001 - a QuestionResult
    """ok, bad or draft (an unreviewed draft is never judged right or wrong), and why."""
    if q.record.draft:
        return "draft", "unreviewed draft: not scored"
    return ("ok" if q.judgment.correct else "bad"), q.judgment.why


def markdown(results: "Results", summary: "Summary") -> str:
    out = [
        f"# citeline eval {summary.run}",
        "",
        f"Set `{summary.set}`, {counted(summary)}, target {summary.target}, retrieval k = {results.k}.",
        "",
        f"| {' | '.join(header(summary))} |",
        "|" + "---|" * len(header(summary)),
        *[f"| {' | '.join(r)} |" for r in rows(summary)],
        "",
        "**Gate: passed**"
        if summary.gate.passed
        else "**Gate: FAILED**\n\n" + "\n".join(f"- {f}" for f in summary.gate.failures),
        "",
        "## Accuracy by kind of question",
        "",
        f"| {' | '.join(kind_header(summary))} |",
        "|" + "---|" * len(kind_header(summary)),
        *[f"| {' | '.join(r)} |" for r in kind_rows(summary)],
        "",
        "## Questions",
        "",
        "| id | kind | correct | why | answer |",
        "|---|---|---|---|---|",
    ]
    for q in results.systems["citeline"]:
        answer = q.response.get("answer", "").replace("|", "\\|").replace("\n", " ")
        state, why = verdict(q)
        out.append(f"| {q.record.id} | {q.record.kind} | {WORDS[state]} | {why} | {answer} |")
    return "\n".join(out) + "\n"


COLOURS = ["#2563eb", "#f59e0b", "#16a34a", "#9333ea"]


def _bars(summary: "Summary") -> str:
    """An SVG bar chart of the share metrics, one bar per system."""
    systems = list(summary.systems.items())
    bar, width, left = 9, 560, 220
    row = bar * len(systems) + 8
    height = row * len(SHARE_METRICS) + 34
    parts = [f'<svg viewBox="0 0 {left + width + 60} {height}" role="img" aria-label="metrics chart" class="chart">']
    for i, name in enumerate(SHARE_METRICS):
        y = 10 + i * row
        parts.append(f'<text x="{left - 8}" y="{y + bar + 3}" text-anchor="end">{escape(label(name))}</text>')
        for j, (system, values) in enumerate(systems):
            value = values.get(name)
            if value is None:
                continue
            parts.append(
                f'<rect x="{left}" y="{y + j * bar}" width="{value * width:.1f}" height="{bar - 1}" '
                f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(system)} {escape(name)}: {value}</title></rect>'
            )
    for j, (system, _) in enumerate(systems):
        x = left + j * 170
        parts.append(
            f'<rect x="{x}" y="{height - 16}" width="10" height="10" fill="{COLOURS[j % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{height - 7}">{escape(system)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _citations_html(q) -> str:  # noqa: ANN001 - a QuestionResult
    checks = {c.id: c for c in q.judgment.citations}
    items = []
    for c in q.response.get("citations", []):
        check = checks.get(c["id"])
        valid = bool(check and check.valid)
        status = "valid" if valid else f"INVALID: {escape(check.reason) if check else 'not checked'}"
        items.append(
            f"<li>[{c['id']}] <code>{escape(c['source'])}:{c['line_start']}</code> "
            f'<q>{escape(c["quote"][:300])}</q> <span class="{"ok" if valid else "bad"}">{status}</span></li>'
        )
    return f"<ul>{''.join(items)}</ul>" if items else ""


def html(results: "Results", summary: "Summary") -> str:
    table_rows = "".join(f"<tr>{''.join(f'<td>{escape(c)}</td>' for c in r)}</tr>" for r in rows(summary))
    kinds = "".join(f"<tr>{''.join(f'<td>{escape(c)}</td>' for c in r)}</tr>" for r in kind_rows(summary))
    gate = (
        '<p class="ok"><strong>Gate passed</strong></p>'
        if summary.gate.passed
        else '<p class="bad"><strong>Gate failed</strong></p><ul>'
        + "".join(f"<li>{escape(f)}</li>" for f in summary.gate.failures)
        + "</ul>"
    )
    questions = []
    for q in results.systems["citeline"]:
        sentences = "".join(
            f'<li class="{"ok" if s.supported else "bad"}">{"supported" if s.supported else "unsupported"}: '
            f"{escape(s.why)}</li>"
            for s in q.judgment.sentences
        )
        state, why = verdict(q)
        reader = f"<br><small>reader: {escape(q.record.feedback.note)}</small>" if q.record.feedback else ""
        questions.append(
            f'<tr class="{state}"><td>{escape(q.record.id)}<br><small>{escape(q.record.kind)}'
            f"</small></td><td>{escape(' → '.join([*q.record.history, q.record.question]))}{reader}</td>"
            f"<td>{MARKS[state]} {escape(why)}</td>"
            f"<td>{escape(q.response.get('answer', ''))}{_citations_html(q)}<ul>{sentences}</ul></td>"
            f"<td>{q.latency_ms:.0f}</td></tr>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>citeline eval {escape(summary.run)}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #111; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
td, th {{ border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; }}
th {{ background: #f4f4f5; text-align: left; }} .ok {{ color: #166534; }} .bad {{ color: #b91c1c; }}
tr.bad td:first-child {{ border-left: 4px solid #b91c1c; }} tr.ok td:first-child {{ border-left: 4px solid #16a34a; }}
tr.draft td:first-child {{ border-left: 4px solid #9ca3af; }}
.chart {{ max-width: 820px; font-size: 12px; }} q {{ color: #374151; }} ul {{ margin: .3rem 0; padding-left: 1.2rem; }}
</style></head><body>
<h1>citeline eval {escape(summary.run)}</h1>
<p>Set <code>{escape(summary.set)}</code>, {escape(counted(summary))}, target {escape(summary.target)},
retrieval k = {results.k}. Created {escape(summary.created)}.</p>
{gate}
<table><tr>{"".join(f"<th>{escape(h)}</th>" for h in header(summary))}</tr>{table_rows}</table>
{_bars(summary)}
<h2>Accuracy by kind of question</h2>
<table><tr>{"".join(f"<th>{escape(h)}</th>" for h in kind_header(summary))}</tr>{kinds}</table>
<h2>Questions</h2>
<table><tr><th>id</th><th>question</th><th>verdict</th><th>answer, citations, support</th><th>ms</th></tr>
{"".join(questions)}</table>
</body></html>
"""
