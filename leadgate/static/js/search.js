// The header's search box: "/" puts the cursor in it (as in most tools),
// Escape or a click elsewhere closes its drop-down, arrows walk the results.
(function () {
  var input = document.getElementById("search-q");
  var list = document.getElementById("search-results");
  if (!input || !list) return;
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]");
  }
  function close() { list.innerHTML = ""; }
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && !typing(event.target) && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { close(); input.blur(); }
    if (event.key === "ArrowDown") {
      var first = list.querySelector("a");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });
  list.addEventListener("keydown", function (event) {
    var hits = Array.prototype.slice.call(list.querySelectorAll("a"));
    var at = hits.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < hits.length - 1) { event.preventDefault(); hits[at + 1].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? hits[at - 1] : input).focus(); }
    if (event.key === "Escape") { close(); input.focus(); }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".search-box")) close();
  });
})();
