"""The OpenAI-compatible endpoint, driven by the official openai SDK as a real client."""

import httpx
import openai
import pytest

from tests.conftest import CNN, INVISIBLE_ONLY, MEDUZA

MEMBERSHIP = "What did Stoltenberg say about Ukraine's membership?"


@pytest.fixture()
def client(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0)


def test_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["citeline"]


def test_a_chat_completion_is_the_cited_answer(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="citeline", messages=[{"role": "user", "content": MEMBERSHIP}])
    content = completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert "Stoltenberg" in content and "[1]" in content and f"Sources:\n[1] {MEDUZA}:6" in content
    citations = completion.model_extra["citations"]
    assert citations[0]["source"] == MEDUZA and citations[0]["quote"] in content
    assert completion.model_extra["citeline"]["answered"] is True
    assert completion.usage.prompt_tokens > 5 and completion.usage.completion_tokens > 20
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_the_messages_are_the_conversation(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="citeline", messages=[{"role": "user", "content": MEMBERSHIP}])
    follow = client.chat.completions.create(
        model="citeline",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": MEMBERSHIP},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": [{"type": "text", "text": "And what did Grushko say about it?"}]},
        ],
    )
    extra = follow.model_extra
    assert extra["citeline"]["rewritten_question"] == "What did Grushko say about Ukraine's membership?"
    assert CNN in {c["source"] for c in extra["citations"]}
    assert all(c["speaker"].endswith("Alexander Grushko") for c in extra["citations"])


def test_streaming_gives_the_same_content_and_the_citations_at_the_end(client: openai.OpenAI) -> None:
    plain = client.chat.completions.create(model="citeline", messages=[{"role": "user", "content": MEMBERSHIP}])
    stream = client.chat.completions.create(
        model="citeline", messages=[{"role": "user", "content": MEMBERSHIP}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content and len(chunks) > 5
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"] == plain.model_extra["citations"]


def test_refusal_and_bad_requests(client: openai.OpenAI) -> None:
    refusal = client.chat.completions.create(
        model="citeline", messages=[{"role": "user", "content": "What is the capital of Australia?"}]
    )
    assert refusal.choices[0].message.content.startswith("The corpus does not contain an answer")
    assert refusal.model_extra["citations"] == []
    no_question = client.chat.completions.create(model="citeline", messages=[{"role": "system", "content": "hi"}])
    assert no_question.choices[0].message.content.startswith("Please ask a question")  # told, as a chat client shows
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="citeline", messages=[])


def ask_chat(client: openai.OpenAI, *messages: dict) -> tuple[str, dict]:
    completion = client.chat.completions.create(model="citeline", messages=list(messages))
    return completion.choices[0].message.content, completion.model_extra


IMAGE = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]


@pytest.mark.parametrize("earlier", ["", IMAGE, "\u200b", "What did Grushko say? " + "Please explain. " * 70])
def test_an_unusable_earlier_turn_does_not_break_the_chat(client: openai.OpenAI, earlier: str | list) -> None:
    """Clients resend the whole chat: an earlier message that is no question must not make every
    later one fail."""
    content, extra = ask_chat(
        client,
        {"role": "user", "content": earlier},
        {"role": "assistant", "content": "?"},
        {"role": "user", "content": "What did Stoltenberg say?"},
    )
    assert extra["citeline"]["answered"] is True, content
    assert extra["citations"] and all(c["speaker"].endswith("Jens Stoltenberg") for c in extra["citations"])
    assert "Stoltenberg" in content and "[1]" in content


def test_an_overlong_earlier_question_is_read_from_its_start(client: openai.OpenAI) -> None:
    long = "What did Grushko say? " + "I read a lot of news and want to understand this. " * 25
    assert len(long) > 1000
    content, extra = ask_chat(
        client,
        {"role": "user", "content": long},
        {"role": "assistant", "content": "He spoke."},
        {"role": "user", "content": "What did he say about Ukraine's membership?"},
    )
    assert extra["citeline"]["rewritten_question"] == "What did Grushko say about Ukraine's membership?", content
    assert extra["citations"] and all(c["speaker"].endswith("Alexander Grushko") for c in extra["citations"])


@pytest.mark.parametrize("question", INVISIBLE_ONLY)
def test_a_question_of_invisible_characters_is_asked_for_again(client: openai.OpenAI, question: str) -> None:
    content, extra = ask_chat(client, {"role": "user", "content": question})
    assert content == "Please ask a question about the corpus (question must not be empty)."
    assert extra["citeline"]["answered"] is False and extra["citations"] == []


def test_an_unpaired_surrogate_is_not_a_question(server: str) -> None:
    """As on /api/ask (a 422 there), not silently replaced. The SDK cannot even encode one."""
    body = b'{"model": "citeline", "messages": [{"role": "user", "content": "What \\ud800 did Grushko say?"}]}'
    response = httpx.post(f"{server}/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == (
        "Please ask a question about the corpus (question must be valid Unicode text, without unpaired surrogates)."
    )


def test_the_reply_names_the_model_that_answered(server: str) -> None:
    """Whatever the client asked for (its default, or a name no encoder can write)."""
    body = b'{"model": "\\ud800", "messages": [{"role": "user", "content": "What did Grushko say?"}]}'
    headers = {"content-type": "application/json"}
    plain = httpx.post(f"{server}/v1/chat/completions", content=body, headers=headers, timeout=60)
    assert plain.status_code == 200 and plain.json()["model"] == "citeline"
    streamed = body.replace(b'"messages"', b'"stream": true, "messages"')
    with httpx.stream("POST", f"{server}/v1/chat/completions", content=streamed, headers=headers, timeout=60) as got:
        events = [line for line in got.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]" and all('"model": "citeline"' in e for e in events[:-1])


@pytest.mark.parametrize(
    ("option", "field"),
    [({"temperature": "hot"}, "temperature"), ({"max_tokens": -1}, "max_tokens"), ({"n": 2}, "n")],
)
def test_a_wrong_sampling_option_is_a_422(server: str, option: dict, field: str) -> None:
    body = {"model": "citeline", "messages": [{"role": "user", "content": "What did Grushko say?"}], **option}
    response = httpx.post(f"{server}/v1/chat/completions", json=body, timeout=60)
    assert response.status_code == 422 and response.json()["detail"].startswith(f"{field}:")
