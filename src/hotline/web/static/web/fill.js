// One click to take a suggestion: a button with data-fill-field="<input id>" and
// data-fill-value="<value>" sets that field and tells listeners (htmx) it changed.
// A static file, not inline script, so a strict Content-Security-Policy allows it.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-fill-field]");
  if (!button) return;
  var field = document.getElementById(button.getAttribute("data-fill-field"));
  if (!field) return;
  field.value = button.getAttribute("data-fill-value");
  field.dispatchEvent(new Event("change", { bubbles: true }));
});

// A preset that the server's suggestion carries (the category's default urgency at intake):
// an element with data-preset-field, data-preset-value and data-preset-for (what it is for, the
// category). It is applied once for each new category, so the agent's own choice for the same
// category is never overwritten by the next refresh of the suggestions.
document.addEventListener("htmx:afterSwap", function (event) {
  var presets = event.target.querySelectorAll ? event.target.querySelectorAll("[data-preset-field]") : [];
  presets.forEach(function (preset) {
    var field = document.getElementById(preset.getAttribute("data-preset-field"));
    var forWhat = preset.getAttribute("data-preset-for");
    if (!field || field.getAttribute("data-preset-for") === forWhat) return;
    field.setAttribute("data-preset-for", forWhat);
    if (field.value === preset.getAttribute("data-preset-value")) return;
    field.value = preset.getAttribute("data-preset-value");
    field.dispatchEvent(new Event("change", { bubbles: true }));
  });
});
