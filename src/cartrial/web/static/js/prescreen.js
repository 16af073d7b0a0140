// Pre-screening: an "ask next" link opens the form group holding the field and focuses it.
document.addEventListener("click", function (event) {
  var link = event.target.closest("a.ask");
  if (!link) return;
  var field = document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  for (var el = field.parentElement; el; el = el.parentElement) {
    if (el.tagName === "DETAILS") el.open = true;
  }
  field.scrollIntoView({ block: "center" });
  field.focus();
});
