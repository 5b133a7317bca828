// Polls the list's progress and reloads the page when the check is done.
(function () {
  const card = document.getElementById("progress-card");
  if (!card) return;
  const bar = card.querySelector(".bar");
  const figure = card.querySelector("[data-testid=progress-figure]");
  async function poll() {
    try {
      const response = await fetch(card.dataset.progressUrl, { credentials: "same-origin" });
      const state = await response.json();
      bar.style.width = state.progress + "%";
      figure.textContent = state.progress;
      if (state.done) { window.location.reload(); return; }
    } catch (e) { /* keep polling: the server may be busy */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
