"""What the page shows at an element a fallback candidate found: the evidence for a selector fix.

When the first candidate of an element fails and a later one finds it, the screen usually changed
its wording (a label, a button's text). ``selectors propose`` needs to know what the page shows
there now, so the drift notice carries it. It is read with one ``evaluate`` on the matched
element, once per drifted element and session: nothing on the happy path.

An input's value is never read (it is the record being keyed: personal data); nor the text of
a ``textarea``, a ``select``'s options or an editable region, for the same reason.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator

#: The longest inner text kept (a heading or a message, not a page).
MAX_TEXT = 200
_EVALUATE_TIMEOUT_MS = 2000

# Runs in the page. Roles and names follow the parts of WAI-ARIA / accname that form screens
# use (explicit role, implicit role of the common tags; aria-labelledby, aria-label, <label>,
# alt, content for roles named from content, title, placeholder); not the whole algorithm.
_OBSERVE_JS = """
(el, {max, withText}) => {
  const clean = (s) => (s || "").replace(/\\s+/g, " ").trim();
  const cut = (s) => s.length > max ? s.slice(0, max) : s;
  const tag = el.tagName.toLowerCase();
  const type = (el.getAttribute("type") || "").toLowerCase();
  const isInput = tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
  // Text of a node without any form control inside it (a wrapping <label> holds its input).
  const textOf = (node) => {
    const copy = node.cloneNode(true);
    copy.querySelectorAll("input, textarea, select, button, [contenteditable]").forEach((c) => c.remove());
    return clean(copy.textContent);
  };
  const implicitRole = () => {
    if (tag === "a" || tag === "area") return el.hasAttribute("href") ? "link" : "";
    if (tag === "button") return "button";
    if (tag === "select") return (el.multiple || el.size > 1) ? "listbox" : "combobox";
    if (tag === "textarea") return "textbox";
    if (tag === "input") {
      if (["button", "submit", "reset", "image"].includes(type)) return "button";
      if (type === "checkbox") return "checkbox";
      if (type === "radio") return "radio";
      if (type === "number") return "spinbutton";
      if (type === "range") return "slider";
      if (type === "search") return "searchbox";
      if (["hidden", "file", "color", "date", "datetime-local", "month", "time", "week", "password"].includes(type)) return "";
      return "textbox";
    }
    if (/^h[1-6]$/.test(tag)) return "heading";
    const roles = {img: "img", table: "table", tr: "row", td: "cell", th: "columnheader", ul: "list", ol: "list",
                   li: "listitem", nav: "navigation", form: "form", dialog: "dialog", option: "option",
                   main: "main", p: "paragraph"};
    return roles[tag] || "";
  };
  const role = clean(el.getAttribute("role")).split(" ")[0] || implicitRole();
  const byIds = (ids) => clean(ids).split(" ").filter(Boolean)
    .map((id) => document.getElementById(id)).filter(Boolean).map(textOf).filter(Boolean).join(" ");
  const labelledby = byIds(el.getAttribute("aria-labelledby"));
  const ariaLabel = clean(el.getAttribute("aria-label"));
  const labels = el.labels ? Array.from(el.labels).map(textOf).filter(Boolean).join(" ") : "";
  const fromContent = ["button", "link", "heading", "cell", "columnheader", "rowheader", "gridcell", "tab",
                       "menuitem", "option", "treeitem", "tooltip", "switch"].includes(role);
  const content = (withText && fromContent && !isInput) ? cut(textOf(el)) : "";
  const alt = clean(el.getAttribute("alt"));
  const title = clean(el.getAttribute("title"));
  const placeholder = clean(el.getAttribute("placeholder"));
  const buttonValue = (tag === "input" && ["button", "submit", "reset"].includes(type)) ? clean(el.value) : "";
  const name = labelledby || ariaLabel || labels || (tag === "img" || type === "image" ? alt : "") || buttonValue
    || content || title || placeholder;
  const seen = {
    tag: tag, role: role, accessible_name: cut(name), label: cut(labels || labelledby || ariaLabel),
    placeholder: placeholder, id: el.id || "", name_attr: el.getAttribute("name") || "", alt: alt, title: title,
    text: (isInput || !withText) ? "" : cut(clean(el.innerText)),
  };
  return Object.fromEntries(Object.entries(seen).filter(([, v]) => v));
}
"""


def observe(locator: Locator, *, with_text: bool = True) -> dict[str, Any] | None:
    """What the page shows at the element: role, accessible name, label, placeholder, id, name
    attribute, alt, title, and (non-inputs only) its inner text, empty ones left out.

    ``with_text=False`` (an element the map marks ``sensitive``): nothing read from the element's
    content, neither its text nor a name computed from it. None when the page could not be read
    (it navigated away): the drift is still reported, without the evidence."""
    try:
        seen = locator.first.evaluate(_OBSERVE_JS, {"max": MAX_TEXT, "withText": with_text},
                                      timeout=_EVALUATE_TIMEOUT_MS)
    except PlaywrightError:
        return None
    if not isinstance(seen, dict):
        return None
    return {str(k): v[:MAX_TEXT] for k, v in seen.items() if isinstance(v, str) and v}
