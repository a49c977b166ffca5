// "Was this answer helpful?" under each answer: a verdict, an optional note, thanks, and a way to
// change it, sent to POST /api/feedback. Everything shown is text, never HTML.
import { el } from "./dom.js";

const NOTE_LIMIT = 1000; // the API's limit
const SAID = { helpful: "helpful", not_helpful: "not helpful" };
let made = 0; // for unique ids: each note's label names its field

// The control for answer `turn` of conversation `conversationId`; `feedback` is the verdict
// already stored, if any ({verdict, note}), as GET /api/conversations/{id} gives it.
export function feedbackControl({ conversationId, turn, feedback, headers }) {
  const noteId = `feedback-note-${++made}`;
  const box = el("div", { className: "feedback", role: "group", ariaLabel: "Feedback on this answer" });
  const status = el("span", { className: "feedback-status", role: "status" });
  let stored = feedback || null;

  function button(text, onClick, className = "") {
    const node = el("button", { type: "button", className }, text);
    node.addEventListener("click", onClick);
    return node;
  }

  function choose(focus) {
    const helpful = button("Helpful", () => send("helpful", ""), "feedback-choice");
    const unhelpful = button("Not helpful", () => explain("not_helpful"), "feedback-choice");
    helpful.setAttribute("aria-pressed", String(stored?.verdict === "helpful"));
    unhelpful.setAttribute("aria-pressed", String(stored?.verdict === "not_helpful"));
    box.replaceChildren(
      el("span", { className: "feedback-question" }, "Was this answer helpful?"),
      el("span", { className: "feedback-choices" }, helpful, unhelpful), // wrapped together on a phone
    );
    const back = stored && button("Keep my answer", () => thank(true), "feedback-quiet");
    if (back) box.append(back);
    box.append(status);
    if (focus) helpful.focus();
  }

  function explain(verdict) {
    const form = el("form", { className: "feedback-form" });
    const label = el(
      "label",
      { htmlFor: noteId },
      verdict === "not_helpful" ? "What was wrong with it? (optional)" : "Anything to add? (optional)",
    );
    const note = el("textarea", { id: noteId, maxLength: NOTE_LIMIT, rows: 2 });
    note.value = stored?.verdict === verdict ? stored.note : "";
    const cancel = button("Cancel", () => (stored ? thank(true) : choose(true)), "feedback-quiet");
    form.append(label, note, el("div", { className: "feedback-actions" }, el("button", { type: "submit" }, "Send"), cancel));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(verdict, note.value.trim());
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation(); // closes this form, not the source beside the chat
        cancel.click();
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        form.requestSubmit();
      }
    });
    box.replaceChildren(form, status);
    status.textContent = "";
    note.focus({ preventScroll: true });
    form.scrollIntoView({ block: "nearest" }); // with its Send button, not just the field
  }

  function thank(focus) {
    const change = button("Change", () => choose(true), "feedback-quiet");
    box.replaceChildren(el("span", { className: "feedback-thanks" }, `Thanks! You found this answer ${SAID[stored.verdict]}.`));
    if (stored.verdict === "helpful" && !stored.note) box.append(button("Add a note", () => explain("helpful"), "feedback-quiet"));
    box.append(change, status);
    status.textContent = "";
    if (focus) change.focus();
  }

  async function send(verdict, note) {
    for (const control of box.querySelectorAll("button, textarea")) control.disabled = true;
    status.textContent = "Sending…";
    try {
      const response = await fetch("/api/feedback", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ conversation_id: conversationId, turn, verdict, note }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.detail || `the service answered ${response.status}`);
      stored = body;
      thank(true);
    } catch (error) {
      for (const control of box.querySelectorAll("button, textarea")) control.disabled = false;
      status.textContent = `Your feedback was not sent: ${error.message}`;
    }
  }

  if (stored) thank(false);
  else choose(false);
  return box;
}
