"""Follow-up condensing by the language model (CITELINE_CONDENSE=llm), with prompts/condense.txt.
The deterministic rewrite (service/followup.py) is the default and the fallback."""

from typing import TYPE_CHECKING

from service.conversations import Turn
from service.llm import chat
from service.prompts import load, render

if TYPE_CHECKING:  # llama-index is imported only once a model is made (service/llm.py)
    from llama_index.core.llms import LLM

# A condensed question much longer than this is the model rambling, not a question.
MAX_CHARS = 400


def condense(llm: "LLM", question: str, history: list[Turn]) -> str:
    """The model's standalone question, or "" when its reply is not usable as one."""
    lines = []
    for turn in history:
        lines.append(f"User: {turn.rewritten_question}")
        lines.append(f"Assistant: {turn.answer[:300]}")
    reply = chat(llm, load("condense_system"), render("condense", history="\n".join(lines), question=question))
    first = reply.strip().splitlines()[0].strip().strip('"') if reply.strip() else ""
    return first if 0 < len(first) <= MAX_CHARS else ""
