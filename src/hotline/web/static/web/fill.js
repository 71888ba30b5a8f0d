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
