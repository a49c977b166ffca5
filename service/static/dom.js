// Building page elements from text: children are strings (inserted as text, never HTML) or nodes.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// An article's publication date for the reader ("12 Jan 2022"), as the source wrote it: the date
// part of an ISO 8601 date or date-time (its first 10 characters), never moved into the browser's
// time zone. Gives {text, datetime} for a <time> element, or null when there is no usable date.
export function readableDate(published) {
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(typeof published === "string" ? published : "");
  if (!match) return null;
  const [, year, month, day] = match;
  const name = month && MONTHS[Number(month) - 1];
  if (month && !name) return null;
  if (day && name) return { text: `${Number(day)} ${name} ${year}`, datetime: `${year}-${month}-${day}` };
  return name ? { text: `${name} ${year}`, datetime: `${year}-${month}` } : { text: year, datetime: year };
}

// A quote longer than this many words is pointed at by its first and last few words.
const FRAGMENT_WORDS = 12;
const FRAGMENT_ENDS = 5;

// Text in a text fragment: percent-encoded, "-" too (with "," and "&" it is fragment syntax).
function fragmentText(text) {
  return encodeURIComponent(text).replace(/-/g, "%2D");
}

// The original article at the quoted sentence: `url` (http or https only, any #fragment dropped)
// plus a text fragment, "#:~:text=QUOTE" or, for a long quote, "#:~:text=FIRST,LAST" with its
// first and last few words. Null when there is no url the page may link to.
export function originalArticleHref(url, quote) {
  if (typeof url !== "string" || !url) return null;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  const base = url.trim().split("#")[0];
  const words = typeof quote === "string" ? quote.trim().split(/\s+/).filter(Boolean) : [];
  if (!words.length) return base;
  const fragment =
    words.length > FRAGMENT_WORDS
      ? `${fragmentText(words.slice(0, FRAGMENT_ENDS).join(" "))},${fragmentText(words.slice(-FRAGMENT_ENDS).join(" "))}`
      : fragmentText(words.join(" "));
  return `${base}#:~:text=${fragment}`;
}
