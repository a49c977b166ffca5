"""The optional LLM judge of citation support (prompts/judge.txt), used beside the offline judge
when an LLM is configured: `citeline eval --llm-judge`. Its verdicts are stored per sentence."""

from llama_index.core.llms import LLM

from service.llm import chat
from service.prompts import load, render
from service.schemas import Citation
from service.verify import MARKER


class LLMJudge:
    def __init__(self, llm: LLM) -> None:
        self.llm = llm

    def supports(self, claim: str, cited: list[Citation]) -> bool:
        if not cited:
            return False
        passages = "\n".join(f"({c.speaker or load('no_speaker')}) {c.quote}" for c in cited)
        verdict = chat(self.llm, load("judge_system"), render("judge", passages=passages, claim=MARKER.sub("", claim)))
        return verdict.strip().upper().startswith("SUPPORTED")
