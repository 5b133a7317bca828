// Follows running print jobs and reloads the page when one of them finishes; a form marked
// `data-busy` keeps its button disabled meanwhile, and a submitted form disables its button so a
// second click cannot send the same request twice.
(function () {
  for (const form of document.querySelectorAll("form#card-form")) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.setAttribute("aria-disabled", "true"); }
    });
  }
  const rows = Array.from(document.querySelectorAll("tr[data-job-url]")).filter((r) => r.querySelector(".progress"));
  if (!rows.length) return;
  async function poll() {
    for (const row of rows) {
      try {
        const state = await (await fetch(row.dataset.jobUrl, { credentials: "same-origin" })).json();
        row.querySelector(".bar").style.width = state.progress + "%";
        const figure = row.querySelector("[data-figure]");
        if (figure) figure.textContent = state.progress;
        if (state.done) { window.location.reload(); return; }
      } catch (e) { /* try again */ }
    }
    setTimeout(poll, 1500);
  }
  setTimeout(poll, 800);
})();
