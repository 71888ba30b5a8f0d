// The report's print button, without an inline handler (the Content Security Policy forbids those).
document.addEventListener("click", (e) => { if (e.target.closest("[data-print]")) window.print(); });
