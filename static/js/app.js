// Behaviour every page may use, kept out of the HTML so that the Content-Security-Policy can
// forbid inline script and inline style: confirmation prompts, "select all" boxes, progress bar
// widths and the indentation of the organisation tree come from data- attributes.
(function () {
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    const box = event.target;
    if (box instanceof HTMLInputElement && box.dataset.checkAll && box.form) {
      for (const other of box.form.querySelectorAll("input[name='" + box.dataset.checkAll + "']")) {
        other.checked = box.checked;
      }
    }
  });
  function layout() {
    for (const bar of document.querySelectorAll("[data-progress]")) {
      bar.style.width = bar.dataset.progress + "%";
    }
    for (const indent of document.querySelectorAll("[data-depth]")) {
      indent.style.setProperty("--depth", indent.dataset.depth);
      indent.style.setProperty("--base", indent.dataset.base || "0");
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", layout);
  else layout();
})();
