// The citeline chat page: streamed answers, citation chips, the cited source beside the chat.
// Plain ES module, no build step. Everything the server says is inserted as text, never HTML.
import { el, originalArticleHref, readableDate } from "./dom.js";
import { feedbackControl } from "./feedback.js";

const STORAGE_KEY = "citeline.conversation";
const $ = (id) => document.getElementById(id);
const messages = $("messages");
const form = $("ask");
const input = $("question");
const send = $("send");
const statusLine = $("status");
const panel = $("source");
const panelTitle = $("source-title");
const panelLines = $("source-lines");
const panelRange = $("source-range");
// Lines per /api/sources request (the API's default page); pages fetched, by source and offset.
const SOURCE_PAGE = 2000;
const sourceCache = new Map();
let conversationId = localStorage.getItem(STORAGE_KEY);
let lastChip = null;
// An API key the page was given (?key=…, e.g. by the widget's data-citeline-key) rides along.
const params = new URLSearchParams(location.search);
if (params.has("key")) sessionStorage.setItem("citeline.key", params.get("key"));
const apiKey = sessionStorage.getItem("citeline.key");
const authHeaders = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
// Inside the embeddable widget's panel the page is narrow: the source opens over the chat.
if (params.has("embed")) document.body.classList.add("embed");

function hideHint() {
  const hint = $("hint");
  if (hint) hint.remove();
}

function addUserMessage(text) {
  hideHint();
  const item = el("li", { className: "msg user" }, text);
  messages.append(item);
  item.scrollIntoView({ block: "end" });
}

// Renders an answer: marker "[n]" becomes a chip that opens citation n. A saved answer (one
// with a turn number) gets the feedback control.
function renderAnswer(item, body) {
  item.replaceChildren();
  item.removeAttribute("aria-busy");
  item.classList.toggle("refusal", !body.answered);
  if (body.rewritten_question && body.question && body.rewritten_question !== body.question) {
    item.append(el("span", { className: "rewritten" }, `Answering: ${body.rewritten_question}`));
  }
  const byId = new Map(body.citations.map((c) => [c.id, c]));
  const parts = body.answer.split(/(\[\d+\])/);
  for (const part of parts) {
    const match = /^\[(\d+)\]$/.exec(part);
    const citation = match && byId.get(Number(match[1]));
    if (citation) {
      item.append(chip(citation));
    } else if (part) {
      item.append(part);
    }
  }
  if (body.citations.length) {
    const list = el("ol", { className: "sources", ariaLabel: "Sources" });
    for (const c of body.citations) list.append(sourceItem(c));
    item.append(list);
  }
  if (Number.isInteger(body.turn) && conversationId) {
    item.append(feedbackControl({ conversationId, turn: body.turn, feedback: body.feedback, headers: authHeaders }));
  } else if (body.saved === false) {
    // The service answered but could not keep the turn: say so, since a follow-up will not see it.
    item.append(
      el(
        "p",
        { className: "unsaved", role: "status" },
        "This answer could not be saved: follow-up questions will not know about it, and it cannot be rated.",
      ),
    );
  }
}

// One entry of an answer's sources: the article's title and date when known, the button that
// opens the cited lines beside the chat, and a link to the original article at the quote.
function sourceItem(c) {
  const item = el("li", {}, `[${c.id}] `);
  const title = typeof c.title === "string" ? c.title.trim() : "";
  if (title) item.append(el("cite", { className: "source-article" }, title), " ");
  const date = readableDate(c.published);
  if (date) item.append(el("time", { className: "source-date", dateTime: date.datetime }, date.text), " ");
  const open = el("button", { type: "button" }, `${c.source}, ${lineLabel(c)}`);
  open.addEventListener("click", () => openSource(c, open));
  item.append(open);
  // The same story elsewhere (near-duplicates): quoted once, its copies named.
  const copies = Array.isArray(c.also_in) ? c.also_in.filter((s) => typeof s === "string") : [];
  if (copies.length) item.append(" ", el("span", { className: "source-copies" }, `also in ${copies.join(", ")}`));
  const href = originalArticleHref(c.url, c.quote);
  if (href) {
    const link = el("a", {
      className: "original",
      href,
      target: "_blank",
      rel: "noopener noreferrer",
      ariaLabel: `Original article${title ? `: ${title}` : ""} (opens in a new tab)`,
    }, "original article");
    item.append(" ", link);
  }
  return item;
}

function lineLabel(c) {
  return c.line_start === c.line_end ? `line ${c.line_start}` : `lines ${c.line_start}–${c.line_end}`;
}

function chip(citation) {
  const lines = lineLabel(citation);
  const button = el("button", {
    type: "button",
    className: "chip",
    title: citation.quote,
    ariaLabel: `Source ${citation.id}: ${citation.source}, ${lines}`,
  }, String(citation.id));
  button.dataset.citation = String(citation.id);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "source");
  button.addEventListener("click", () => openSource(citation, button));
  return button;
}

// The article from its start when the cited lines are on its first page; further down a long
// article, the page that holds them, a quarter of the way down.
async function fetchSource(citation) {
  const offset = citation.line_end <= SOURCE_PAGE ? 0 : Math.max(0, citation.line_start - 1 - SOURCE_PAGE / 4);
  const key = `${citation.source}@${offset}`;
  if (!sourceCache.has(key)) {
    const path = citation.source.split("/").map(encodeURIComponent).join("/");
    const query = `offset=${offset}&limit=${SOURCE_PAGE}`;
    const response = await fetch(`/api/sources/${path}?${query}`, { headers: authHeaders });
    if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
    sourceCache.set(key, await response.json());
  }
  return sourceCache.get(key);
}

async function openSource(citation, opener) {
  let doc;
  try {
    doc = await fetchSource(citation);
  } catch (error) {
    statusLine.textContent = `Cannot open ${citation.source}: ${error.message}`;
    return;
  }
  panelTitle.textContent = `${citation.source}, ${lineLabel(citation)}`;
  const partial = doc.offset > 0 || doc.more;
  const count = (n) => n.toLocaleString("en");
  panelRange.hidden = !partial;
  panelRange.textContent = partial
    ? `Showing lines ${count(doc.offset + 1)}–${count(doc.offset + doc.lines.length)} of ${count(doc.total_lines)}`
    : "";
  panelLines.replaceChildren();
  let first = null;
  for (const line of doc.lines) {
    const item = el("li", { value: line.number });
    item.dataset.line = String(line.number);
    const cited = line.number >= citation.line_start && line.number <= citation.line_end;
    const at = cited ? line.text.indexOf(citation.quote) : -1;
    if (at >= 0) {
      item.append(line.text.slice(0, at), el("mark", {}, citation.quote), line.text.slice(at + citation.quote.length));
    } else {
      item.append(line.text || "\u00a0");
    }
    if (cited) {
      item.classList.add("cited");
      first = first || item;
    }
    panelLines.append(item);
  }
  panel.hidden = false;
  if (lastChip) lastChip.setAttribute("aria-expanded", "false");
  lastChip = opener;
  if (opener) opener.setAttribute("aria-expanded", "true");
  panelTitle.focus({ preventScroll: true });
  if (first) first.scrollIntoView({ block: "center" });
}

function closeSource() {
  panel.hidden = true;
  if (lastChip) {
    lastChip.setAttribute("aria-expanded", "false");
    lastChip.focus();
  }
}

// Reads a Server-Sent Events body: yields [event, data] pairs as they arrive.
async function* events(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) yield [name, JSON.parse(data.join("\n"))];
    }
  }
}

async function ask(question) {
  addUserMessage(question);
  const item = el("li", { className: "msg assistant" });
  item.setAttribute("aria-busy", "true");
  messages.append(item);
  send.disabled = true;
  statusLine.textContent = "Answering…";
  try {
    const response = await fetch("/api/ask/stream", {
      method: "POST",
      headers: { "content-type": "application/json", ...authHeaders },
      body: JSON.stringify({ question, conversation_id: conversationId }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.detail || `the service answered ${response.status}`);
    }
    for await (const [name, data] of events(response)) {
      if (name === "delta") {
        item.append(data.text);
        item.scrollIntoView({ block: "end" });
      } else if (name === "done") {
        conversationId = data.conversation_id;
        localStorage.setItem(STORAGE_KEY, conversationId);
        renderAnswer(item, { ...data, question });
        item.scrollIntoView({ block: "end" }); // its sources and feedback control too
      } else if (name === "error") {
        if (data.status === 404) forgetConversation();
        throw new Error(data.detail);
      }
    }
    statusLine.textContent = "";
  } catch (error) {
    item.removeAttribute("aria-busy");
    item.classList.add("error");
    item.setAttribute("role", "alert");
    item.textContent = `Sorry, something went wrong: ${error.message}`;
    statusLine.textContent = "";
  } finally {
    send.disabled = false;
    input.focus();
  }
}

function forgetConversation() {
  conversationId = null;
  localStorage.removeItem(STORAGE_KEY);
}

async function restore() {
  if (!conversationId) return;
  const response = await fetch(`/api/conversations/${encodeURIComponent(conversationId)}`, { headers: authHeaders });
  if (!response.ok) {
    forgetConversation();
    return;
  }
  const { turns } = await response.json();
  for (const turn of turns) {
    addUserMessage(turn.question);
    const item = el("li", { className: "msg assistant" });
    messages.append(item);
    renderAnswer(item, turn);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question || send.disabled) return;
  input.value = "";
  ask(question);
});
$("new-conversation").addEventListener("click", () => {
  forgetConversation();
  messages.replaceChildren();
  panel.hidden = true;
  statusLine.textContent = "New conversation started.";
  input.focus();
});
$("close-source").addEventListener("click", closeSource);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !panel.hidden) closeSource();
});
for (const example of document.querySelectorAll(".example")) {
  example.addEventListener("click", () => ask(example.textContent.trim()));
}

restore();
