// Building page elements from text: children are strings (inserted as text, never HTML) or nodes.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}
