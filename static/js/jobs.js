// Follows running print jobs and reloads the page when one of them finishes.
(function () {
  const rows = Array.from(document.querySelectorAll("tr[data-job-url]")).filter((r) => r.querySelector(".progress"));
  if (!rows.length) return;
  async function poll() {
    for (const row of rows) {
      try {
        const state = await (await fetch(row.dataset.jobUrl, { credentials: "same-origin" })).json();
        row.querySelector(".bar").style.width = state.progress + "%";
        if (state.done) { window.location.reload(); return; }
      } catch (e) { /* try again */ }
    }
    setTimeout(poll, 1500);
  }
  setTimeout(poll, 800);
})();
