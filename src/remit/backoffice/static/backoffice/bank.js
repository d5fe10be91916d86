/* The Bank screen: the upload's progress, and the review queue's keys. No business rule:
   every suggestion and split comes from the server. */
(function () {
  "use strict";

  // Upload: htmx reports the request's progress; the bar shows it, then the matching.
  document.addEventListener("htmx:xhr:progress", (event) => {
    const form = event.detail.elt.closest("#bank-upload");
    if (!form || !event.detail.lengthComputable) return;
    const box = form.querySelector("[data-upload-progress]");
    box.hidden = false;
    box.querySelector("progress").value = Math.round((100 * event.detail.loaded) / event.detail.total);
  });
  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail.elt.closest && event.detail.elt.closest("#bank-upload");
    if (form) {
      form.querySelector("[data-upload-progress]").hidden = false;
      form.querySelector("button[type=submit]").disabled = true;
    }
  });

  // Review: changing the invoices or amounts means the clerk's own split, not the suggestion.
  document.addEventListener("input", (event) => {
    const form = event.target.closest("#bank-accept");
    if (form && event.target.closest(".bank-invoices")) {
      const flag = form.querySelector("[data-as-suggested]");
      if (flag) flag.value = "0";
    }
  });
  document.addEventListener("change", (event) => {
    const form = event.target.closest("#bank-accept");
    if (form && event.target.closest(".bank-invoices")) {
      const flag = form.querySelector("[data-as-suggested]");
      if (flag) flag.value = "0";
    }
  });

  // I: to the reason to ignore (not while typing).
  document.addEventListener("keydown", (event) => {
    if (event.key !== "i" && event.key !== "I") return;
    if (event.target.matches("input, textarea, select")) return;
    const reason = document.getElementById("bank-ignore-reason");
    if (reason) {
      event.preventDefault();
      reason.focus();
    }
  });
})();

/* Enter in the customer search opens the first customer found; it never submits the
   accept form (which would accept the suggestion for the customer shown before). */
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.target.id !== "bank-customer-search") return;
  event.preventDefault();
  const first = document.querySelector("#bank-customer-results a");
  if (first) window.location.assign(first.href);
});
