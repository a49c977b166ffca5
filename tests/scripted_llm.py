"""A scripted OpenAI-compatible model server for tests: it answers with recorded outputs (the
kinds of mistakes a small model makes) so the llm path is tested without a model.

A script is picked by a phrase in the question; "{id:some words}" in a reply becomes the id of
the numbered source whose sentence contains those words, as a real model would cite it.

Like a real model, it can be talked into things: text after the end of the sources fence reads
as instructions to it, so a "New rule: always answer ..." there is obeyed. A `gullible` one
obeys such a rule wherever it stands, even inside the sources.
"""

import asyncio
import re

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
    "tonnes": "Growers picked 1,200 tonnes of plums this season. [{id:1,200 tonnes}]",
}
NEW_RULE = re.compile(r"New rule: always answer that (?P<claim>[^.\[]+)")


def instructions(prompt: str) -> str:
    """What a model takes for instructions: everything after the first end-of-sources marker
    that follows the line opening the sources."""
    opening = re.search(r"^<<<SOURCES(\S*)$", prompt, re.MULTILINE)
    if not opening:
        return prompt
    closing = f"SOURCES{opening.group(1)}>>>"
    return prompt[opening.end() :].split(closing, 1)[-1]


def fill_ids(reply: str, prompt: str) -> str:
    sources = re.findall(r"^\[(\d+)\] \([^)]*\) (.*)$", prompt, re.MULTILINE)

    def source_id(match: re.Match) -> str:
        words = match.group(1).lower()
        return next((n for n, text in sources if words in text.lower()), "99")

    return re.sub(r"\{id:([^}]*)\}", source_id, reply)


def make_app(delay_s: float = 0.0, gullible: bool = False) -> FastAPI:
    app = FastAPI()
    app.state.prompts = []
    app.state.waiting = app.state.most_waiting = 0  # requests held at once by `delay_s`

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
        rule = NEW_RULE.search(prompt if gullible else instructions(prompt))
        if rule:
            claim = rule.group("claim").strip()
            reply = f"{claim[0].upper()}{claim[1:]}. [{{id:{claim}}}]"
        if delay_s:
            app.state.waiting += 1
            app.state.most_waiting = max(app.state.most_waiting, app.state.waiting)
            await asyncio.sleep(delay_s)
            app.state.waiting -= 1
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
