// Behaviour every page may use, kept out of the HTML so that the Content-Security-Policy can
// forbid inline script and inline style: the phone menu's button, confirmation prompts, "select all" boxes, progress bar
// widths, the indentation of the organisation tree and the money boxes' format come from data- attributes.
(function () {
  function menu(open) {
    const button = document.querySelector(".menu-button");
    if (!button) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    document.documentElement.classList.toggle("nav-open", open);
  }
  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest(".menu-button") : null;
    if (button) menu(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.documentElement.classList.contains("nav-open")) {
      menu(false);
      const button = document.querySelector(".menu-button");
      if (button) button.focus();
    }
  });
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
  // A money box (mutualaid.forms.MoneyField) writes its amount as every page writes money,
  // 12,345.00, once it is left; what it cannot read stays as typed, for the server to name.
  const MONEY = /^(-?)([0-9]{1,3}(?:[,\uFF0C][0-9]{3})+|[0-9]+)(?:\.([0-9]{0,2}))?$/;
  function moneyText(text) {
    const found = MONEY.exec(text.trim());
    if (!found) return null;
    const whole = found[2].replace(/[,\uFF0C]/g, "").replace(/^0+(?=[0-9])/, "");
    return found[1] + whole.replace(/\B(?=([0-9]{3})+$)/g, ",") + "." + (found[3] || "").padEnd(2, "0");
  }
  function money(box) {
    const shown = moneyText(box.value);
    if (shown !== null && shown !== box.value) box.value = shown;
  }
  document.addEventListener("focusout", function (event) {
    if (event.target instanceof HTMLInputElement && event.target.hasAttribute("data-money")) money(event.target);
  });
  function layout() {
    for (const box of document.querySelectorAll("input[data-money]")) money(box);
    for (const bar of document.querySelectorAll("[data-progress]")) {
      bar.style.width = bar.dataset.progress + "%";
    }
    for (const indent of document.querySelectorAll("[data-depth]")) {
      indent.style.setProperty("--depth", indent.dataset.depth);
      indent.style.setProperty("--base", indent.dataset.base || "0");
    }
  }
  // A table wider than its box scrolls inside it (app.css); a keyboard user scrolls it once it
  // can take the focus, so such a box is made focusable, and made ordinary again when it fits.
  function wrapTables() {
    // Every table of the page in a box of its own that scrolls sideways (.table-wrap), so that a
    // wide table never widens the page: at any window width, not only a phone's.
    for (const table of document.querySelectorAll(".content table")) {
      const parent = table.parentElement;
      if (!parent || parent.classList.contains("table-wrap") || table.closest(".chart")) continue;
      const box = document.createElement("div");
      box.className = "table-wrap";
      parent.insertBefore(box, table);
      box.appendChild(table);
    }
  }
  // A short header (up to eight characters: 冲销凭证号, 年度目标（人）) or a short cell (up to six:
  // 风险准备金) stays on one line, never 风险准 / 备金 in a narrow column; longer words wrap.
  function shortCells() {
    for (const cell of document.querySelectorAll(".content th, .content td")) {
      if (cell.textContent.trim().length <= (cell.tagName === "TH" ? 8 : 6)) cell.classList.add("nowrap");
    }
  }
  function scrollables() {
    for (const box of document.querySelectorAll(".table-wrap, .content table")) {
      const scrolls = box.scrollWidth > box.clientWidth + 1 && window.getComputedStyle(box).overflowX !== "visible";
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.tabIndex = 0;
        box.dataset.scrollFocus = "1";
      } else if (!scrolls && box.dataset.scrollFocus) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollFocus;
      }
    }
  }
  // A list's name cut short after two lines (app.css, .cell-text) shows whole in its title.
  function clipped() {
    for (const cell of document.querySelectorAll(".cell-text")) {
      if (cell.scrollHeight > cell.clientHeight + 1 && !cell.title) cell.title = cell.textContent.trim();
    }
  }
  function ready() {
    layout();
    clipped();
    wrapTables();
    shortCells();
    scrollables();
  }
  window.addEventListener("resize", scrollables);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
