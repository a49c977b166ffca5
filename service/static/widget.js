// The embeddable citeline widget: a floating button that opens the chat in a panel.
//   <script src="https://HOST/widget.js" data-citeline-url="https://HOST" [data-citeline-key="KEY"]></script>
// The chat runs in an iframe from the citeline host, so the host page's styles and scripts
// cannot reach it and it talks only to its own origin.
(() => {
  const script = document.currentScript;
  const base = ((script && script.dataset.citelineUrl) || new URL(script.src).origin).replace(/\/$/, "");
  const prefix = "citeline-widget";
  if (document.getElementById(`${prefix}-button`)) return;

  const style = document.createElement("style");
  style.textContent = `
    #${prefix}-button { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
      width: 56px; height: 56px; border-radius: 50%; border: 0; cursor: pointer;
      background: #1d4ed8; color: #fff; font: 600 14px/1 system-ui, sans-serif;
      box-shadow: 0 4px 14px rgba(0,0,0,.25); }
    #${prefix}-button:focus-visible { outline: 3px solid #f59e0b; outline-offset: 3px; }
    #${prefix}-panel { position: fixed; right: 20px; bottom: 88px; z-index: 2147483000;
      width: min(440px, calc(100vw - 40px)); height: min(640px, calc(100vh - 120px));
      border: 1px solid #d1d5db; border-radius: 12px; overflow: hidden; background: #fff;
      box-shadow: 0 10px 30px rgba(0,0,0,.25); }
    #${prefix}-panel[hidden] { display: none; }
    #${prefix}-panel iframe { width: 100%; height: 100%; border: 0; }
    @media (max-width: 520px) {
      #${prefix}-panel { right: 0; bottom: 0; width: 100vw; height: calc(100vh - 80px); border-radius: 0; }
    }`;
  document.head.append(style);

  const button = document.createElement("button");
  button.id = `${prefix}-button`;
  button.type = "button";
  button.textContent = "Ask";
  button.setAttribute("aria-label", "Open the citeline chat");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", `${prefix}-panel`);

  const panel = document.createElement("div");
  panel.id = `${prefix}-panel`;
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "citeline chat");
  const frame = document.createElement("iframe");
  frame.title = "citeline chat";
  panel.append(frame);

  function toggle(open) {
    const key = script && script.dataset.citelineKey;
    if (open && !frame.src) frame.src = `${base}/?embed=1${key ? `&key=${encodeURIComponent(key)}` : ""}`;
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "×" : "Ask";
    button.setAttribute("aria-label", open ? "Close the citeline chat" : "Open the citeline chat");
    if (open) frame.focus();
  }
  button.addEventListener("click", () => toggle(panel.hidden));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      toggle(false);
      button.focus();
    }
  });
  document.body.append(panel, button);
})();
