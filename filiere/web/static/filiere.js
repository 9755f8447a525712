// filiere workspace: small progressive enhancements (no analysis here; the server did it).
// - table.data[data-sortable]: header buttons sort the rows; input[data-filter-for] filters them.
// - [data-toggle-target]: a button that shows or hides another element (the graph view).
// - [data-copy-target]: a button that selects a field and copies it (the new API key).
(function () {
  "use strict";
  function cellValue(row, index) {
    const cell = row.cells[index];
    const raw = cell ? (cell.dataset.sort ?? cell.textContent.trim()) : "";
    const n = Number(raw);
    return raw !== "" && !Number.isNaN(n) ? n : raw.toLocaleLowerCase();
  }
  function sortable(table) {
    const heads = table.tHead ? Array.from(table.tHead.rows[0].cells) : [];
    heads.forEach(function (th, index) {
      const button = th.querySelector("button.sort");
      if (!button) { return; }
      button.addEventListener("click", function () {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort(function (a, b) {
          const x = cellValue(a, index), y = cellValue(b, index);
          const c = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  function filterable(input) {
    const table = document.getElementById(input.dataset.filterFor);
    if (!table) { return; }
    input.addEventListener("input", function () {
      const needle = input.value.trim().toLocaleLowerCase();
      Array.from(table.tBodies[0].rows).forEach(function (row) {
        row.hidden = needle !== "" && !row.textContent.toLocaleLowerCase().includes(needle);
      });
    });
  }
  function toggle(button) {
    const target = document.getElementById(button.dataset.toggleTarget);
    if (!target) { return; }
    button.addEventListener("click", function () {
      const show = target.hidden;
      target.hidden = !show;
      button.setAttribute("aria-expanded", String(show));
      if (show && target.dataset.src && !target.getAttribute("src")) {
        target.setAttribute("src", target.dataset.src);
      }
    });
  }
  function copier(button) {
    const field = document.getElementById(button.dataset.copyTarget);
    if (!field) { return; }
    button.addEventListener("click", function () {
      field.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).catch(function () { /* selected: Ctrl+C */ });
      }
    });
  }
  function init() {
    document.querySelectorAll("table.data[data-sortable]").forEach(sortable);
    document.querySelectorAll("input[data-filter-for]").forEach(filterable);
    document.querySelectorAll("[data-toggle-target]").forEach(toggle);
    document.querySelectorAll("[data-copy-target]").forEach(copier);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
