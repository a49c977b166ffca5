"""The naive LlamaIndex peer (eval/peer.py) behind HTTP, as a first deployment of it would run:
one uvicorn process, `POST /api/ask {"question"}` answered with its top chunks. `make bench`
drives it with the same closed-loop client as citeline.

    python -m benchmarks.peer_server --corpus DIR --port N
"""

import argparse
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from eval.peer import PeerTarget
from ingest.embedder import MiniLMEmbedding


class Question(BaseModel):
    question: str


def app(corpus: str) -> FastAPI:
    peer = PeerTarget(Path(corpus), MiniLMEmbedding())
    served = FastAPI()

    @served.post("/api/ask")
    def ask(body: Question) -> dict:
        return peer.ask(body.question, None).response

    return served


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app(args.corpus), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
