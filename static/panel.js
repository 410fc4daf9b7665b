// Flask-Admin's templates use href="javascript:void(0)" on tabs, dropdown toggles and pagination.
// Following such a link is an inline script, which the panel's Content-Security-Policy refuses
// (and reports in the console). The links do nothing by design, so their default is stopped here,
// before the browser follows them; their own click handlers (dropdowns, bulk actions) still run.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest('a[href^="javascript:"]');
  if (link) {
    event.preventDefault();
  }
}, true);

// A list cell cut short by panel.css shows its whole value on hover.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table.model-list td").forEach(function (cell) {
    if (cell.scrollWidth > cell.clientWidth && !cell.title) {
      cell.title = cell.innerText.trim();
    }
  });
});
