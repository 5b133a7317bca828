// The registration form: mark the documents the chosen kind of care requires ("Required"),
// as the server marked them for the kind chosen when the page was drawn.
document.addEventListener("DOMContentLoaded", () => {
  const care = document.getElementById("id_care_type");
  if (!care) return;
  const update = () => {
    for (const mark of document.querySelectorAll("[data-required-for]")) {
      mark.hidden = !mark.dataset.requiredFor.split(" ").includes(care.value);
    }
  };
  care.addEventListener("change", update);
  update();
});
