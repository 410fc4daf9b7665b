// The column chooser of list pages and of Settings → Configure lists (templates
// admin/model/_list_chooser.html, admin/configure_lists.html): ↑ and ↓ move a column, and a form
// naming its chooser in data-columns-from gets the ticked columns, in order, in its `cols` field.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-column-chooser]").forEach(function (chooser) {
    chooser.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button) {
        return;
      }
      event.preventDefault();
      var row = button.closest("[data-list-column]");
      if (button.dataset.move === "up" && row.previousElementSibling) {
        row.parentNode.insertBefore(row, row.previousElementSibling);
      } else if (button.dataset.move === "down" && row.nextElementSibling) {
        row.parentNode.insertBefore(row.nextElementSibling, row);
      }
      button.focus();
    });
  });
  document.querySelectorAll("form[data-columns-from]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var chooser = document.getElementById(form.dataset.columnsFrom);
      var names = [];
      chooser.querySelectorAll("[data-list-column]").forEach(function (row) {
        if (row.querySelector("input[type=checkbox]").checked) {
          names.push(row.dataset.listColumn);
        }
      });
      form.querySelector("input[name=cols]").value = names.join(",");
    });
  });
});
