"""A scripted OpenAI-compatible model server for tests: it answers with recorded outputs (the
kinds of mistakes a small model makes) so the llm path is tested without a model.

A script is picked by a phrase in the question; "{id:some words}" in a reply becomes the id of
the numbered source whose sentence contains those words, as a real model would cite it.
"""

import re
import time

from fastapi import FastAPI, Request

SCRIPTS = {
    # A wrong attribution, a supported sentence and a citation of an id never given.
    "membership": (
        "Stoltenberg said that Ukraine's membership is unacceptable. [{id:right to choose}] "
        "Stoltenberg said Russia cannot decide who joins NATO. [{id:Russia cannot decide}] "
        "Ukraine will join NATO next year. [42]"
    ),
    # A made-up list for a question the corpus cannot answer.
    "banks": (
        "The EU imposed sanctions on Russian banks, oil exports and 12 oligarchs. [{id:sanctions}] "
        "The United States froze $300 billion of reserves. [1]"
    ),
    "unanswerable": "The corpus does not contain an answer to this question.",
    "minsk": "Grushko said the Ukrainian authorities need to comply with the Minsk agreements. [{id:Minsk}]",
}


def fill_ids(reply: str, prompt: str) -> str:
    sources = re.findall(r"^\[(\d+)\] \([^)]*\) (.*)$", prompt, re.MULTILINE)

    def source_id(match: re.Match) -> str:
        words = match.group(1).lower()
        return next((n for n, text in sources if words in text.lower()), "99")

    return re.sub(r"\{id:([^}]*)\}", source_id, reply)


def make_app(delay_s: float = 0.0) -> FastAPI:
    app = FastAPI()
    app.state.prompts = []

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> dict:
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        app.state.prompts.append(body["messages"])
        if "Standalone question:" in prompt:  # the condense prompt
            last = prompt.rsplit("Last question:", 1)[-1].split("Standalone question:")[0].strip()
            reply = "What did Stoltenberg say about sanctions?" if "sanctions" in last else last
            return completion(body, reply)
        if "SUPPORTED or UNSUPPORTED" in prompt:  # the judge prompt
            return completion(body, "UNSUPPORTED" if "oligarchs" in prompt else "SUPPORTED")
        question = prompt.rsplit("Question:", 1)[-1].lower()
        reply = next((text for key, text in SCRIPTS.items() if key in question), SCRIPTS["unanswerable"])
        if delay_s:
            time.sleep(delay_s)
        return completion(body, fill_ids(reply, prompt))

    return app


def completion(body: dict, content: str) -> dict:
    return {
        "id": "scripted",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "scripted"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
