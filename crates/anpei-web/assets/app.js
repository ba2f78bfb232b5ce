// anpei (安培) — small behaviours; no inline scripts (the CSP forbids them).
(function () {
  "use strict";
  // Filter forms submit as soon as a select changes.
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.tagName === "SELECT" && el.form && el.form.hasAttribute("data-autosubmit")) {
      if (window.htmx) { window.htmx.trigger(el.form, "submit"); } else { el.form.submit(); }
    }
  });
  // Buttons and forms that ask before acting.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  }, true);
})();
// A file input with data-into="ID" loads the chosen text file into that textarea.
document.addEventListener("change", function (ev) {
  var el = ev.target;
  if (!el || el.type !== "file" || !el.getAttribute("data-into")) { return; }
  var target = document.getElementById(el.getAttribute("data-into"));
  if (!target || !el.files || !el.files[0]) { return; }
  var reader = new FileReader();
  reader.onload = function () { target.value = String(reader.result || ""); };
  reader.readAsText(el.files[0], "utf-8");
});
// A submit button with its own data-confirm asks before its form goes.
document.addEventListener("submit", function (ev) {
  var b = ev.submitter;
  var msg = b && b.getAttribute ? b.getAttribute("data-confirm") : null;
  if (msg && !window.confirm(msg)) { ev.preventDefault(); }
}, true);
// [data-print] prints the page (the printable reports).
document.addEventListener("click", function (ev) {
  var el = ev.target && ev.target.closest ? ev.target.closest("[data-print]") : null;
  if (el) { ev.preventDefault(); window.print(); }
});
// A self-inspection item shows its problem fields while 不符合 is chosen.
document.addEventListener("change", function (ev) {
  var el = ev.target;
  if (!el || el.type !== "radio" || el.name.indexOf("answer_") !== 0) { return; }
  var item = el.closest(".check-item");
  if (item) { item.classList.toggle("is-noncompliant", el.value === "noncompliant"); }
});
// On a phone the menu is a drawer behind one button.
document.addEventListener("click", function (ev) {
  var b = ev.target && ev.target.closest ? ev.target.closest("#menu-toggle") : null;
  if (!b) { return; }
  var open = document.body.classList.toggle("nav-open");
  b.setAttribute("aria-expanded", open ? "true" : "false");
});
// Each cell of a data table carries its column's header, so that on a phone a row reads as
// a card of "label: value" lines.
document.addEventListener("DOMContentLoaded", labelCells);
document.addEventListener("htmx:afterSwap", labelCells);
function labelCells() {
  var tables = document.querySelectorAll("table.data");
  for (var t = 0; t < tables.length; t++) {
    var heads = tables[t].querySelectorAll("thead th");
    if (!heads.length) { continue; }
    tables[t].classList.add("as-cards");
    var names = [];
    for (var i = 0; i < heads.length; i++) { names.push(heads[i].textContent.trim()); }
    var rows = tables[t].querySelectorAll("tbody tr");
    for (var r = 0; r < rows.length; r++) {
      var cells = rows[r].children;
      for (var c = 0; c < cells.length && c < names.length; c++) {
        if (!cells[c].hasAttribute("data-label")) { cells[c].setAttribute("data-label", names[c]); }
      }
    }
  }
}
// [data-copy] copies its text (the receipt's code and password); says whether it worked.
document.addEventListener("click", function (ev) {
  var el = ev.target && ev.target.closest ? ev.target.closest("[data-copy]") : null;
  if (!el) { return; }
  var text = el.getAttribute("data-copy");
  var out = document.getElementById("copy-result");
  var said = function (msg) { if (out) { out.textContent = msg; } };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { said("已复制"); }, function () { said("复制失败，请手工抄写"); });
    return;
  }
  var area = document.createElement("textarea");
  area.value = text; area.setAttribute("readonly", ""); area.className = "offscreen";
  document.body.appendChild(area); area.select();
  var ok = false;
  try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
  document.body.removeChild(area);
  said(ok ? "已复制" : "复制失败，请手工抄写");
});
// A form marked data-once is sent once: its submit buttons are disabled once it goes.
document.addEventListener("submit", function (ev) {
  var f = ev.target;
  if (ev.defaultPrevented || !f.hasAttribute || !f.hasAttribute("data-once")) { return; }
  setTimeout(function () {
    var bs = f.querySelectorAll("button[type=submit], input[type=submit]");
    for (var i = 0; i < bs.length; i++) { bs[i].disabled = true; }
  }, 0);
});
