/* The customer portal's behaviour: dialogs, the selection total, the Actions menu, the
   progress of Make Payment, and the method list once a method is added.

   Card numbers never pass through here: the gateway's card entry (gateways/card_entry.js)
   sends them to the gateway and only the token to remit. */
(() => {
  "use strict";
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // --- dialogs -------------------------------------------------------------------------
  const modal = () => document.getElementById("modal");

  function focusFirst(dialog) {
    const target = $("[autofocus]", dialog) || $("input:checked:not([disabled])", dialog)
      || $(".body input:not([type=hidden]):not([disabled]), .body select, .body button:not([disabled])", dialog)
      || $("footer a[href], footer button:not([disabled])", dialog);
    if (target) target.focus();
  }

  function openModal() {
    const dialog = modal();
    closeMenus();
    if (!dialog.open) dialog.showModal();
    focusFirst(dialog);
    refreshDialog(dialog);
  }

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target === modal()) openModal();
  });

  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    const words = {403: "You do not have permission to do that.", 404: "That was not found. Reload the page and try again."};
    toast(words[status] || "Something went wrong. Reload the page and try again.");
  });
  document.addEventListener("htmx:sendError", () => toast("The server could not be reached. Check your connection and try again."));

  function toast(text) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  document.addEventListener("click", (event) => {
    const closer = event.target.closest("[data-close]");
    if (closer && closer.closest("dialog")) {
      event.preventDefault();
      closer.closest("dialog").close();
    }
    if (event.target.closest("[data-print]")) window.print();
    const toggle = event.target.closest("[data-toggle-add]");
    if (toggle) {
      const panel = document.getElementById(toggle.getAttribute("aria-controls"));
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) focusFirst(panel);
    }
    // A click outside an open Actions menu closes it.
    $$("details.menu[open]").forEach((menu) => { if (!menu.contains(event.target)) menu.open = false; });
  });

  // A dialog emptied when it closes, so a stale form (and its key) is never reused by
  // accident; the confirmation's Got It (or Escape) goes back to Open Invoices.
  document.addEventListener("close", (event) => {
    if (event.target === modal()) event.target.innerHTML = "";
  }, true);

  // Escape closes the confirmation like Got It: the address becomes Open Invoices' (the
  // list behind it is already today's) and focus returns to the invoice list. Chromium
  // closes a dialog on Escape without a cancel event when nothing was clicked yet, so this
  // listens for the close itself.
  function showConfirmation() {
    const confirmation = document.getElementById("confirmation");
    if (!confirmation) return;
    if (confirmation.open) confirmation.close(); // open in the HTML for pages without script
    confirmation.showModal();
    focusFirst(confirmation);
    confirmation.addEventListener("close", () => {
      if (confirmation.open) return; // the close() above, dispatched after showModal()
      history.replaceState(null, "", $("[data-got-it]", confirmation).href);
      confirmation.remove();
      focusInvoiceList();
    });
  }

  function focusInvoiceList() {
    const table = $("table.invoices");
    if (!table) return;
    const first = $('input[name="invoice"]:not(:disabled)', table);
    (first || table).focus();
  }

  // Invoices paid or held meanwhile (a second tab): the table behind the dialog is
  // fetched again, as the page would show it now.
  document.addEventListener("remit:invoices-changed", () => {
    if (!document.getElementById("invoice-list") || !window.htmx) return;
    window.htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: "#invoice-list", select: "#invoice-list", swap: "outerHTML",
    }).then(updateSelection);
  });

  // --- the Actions menu ----------------------------------------------------------------
  function closeMenus() { $$("details.menu[open]").forEach((menu) => { menu.open = false; }); }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && $("details.menu[open]")) {
      const menu = $("details.menu[open]");
      menu.open = false;
      $("summary", menu).focus();
    }
  });

  // --- the selection: count and total as the clerk ticks --------------------------------
  function formatMinor(minor, currency, digits) {
    const amount = minor / 10 ** digits;
    return new Intl.NumberFormat("en-US", {style: "currency", currency: currency, minimumFractionDigits: digits, maximumFractionDigits: digits}).format(amount);
  }

  // The total of the ticked invoices per currency: amounts in two currencies never add up.
  function selectionTotal(ticked, table) {
    const sums = new Map();
    ticked.forEach((box) => {
      const currency = box.dataset.currency || table.dataset.currency;
      const digits = Number(box.dataset.digits || table.dataset.digits || 2);
      const [minor] = sums.get(currency) || [0, digits];
      sums.set(currency, [minor + Number(box.dataset.minor), digits]);
    });
    if (sums.size === 0) return {text: formatMinor(0, table.dataset.currency, Number(table.dataset.digits || 2)), currencies: []};
    const currencies = [...sums.keys()].sort();
    const text = currencies.map((c) => formatMinor(sums.get(c)[0], c, sums.get(c)[1])).join(" + ");
    return {text, currencies};
  }

  function updateSelection() {
    const table = $("table.invoices");
    const summary = document.getElementById("selection-summary");
    if (!table || !summary) return;
    const ticked = $$('input[name="invoice"]:checked', table);
    const total = selectionTotal(ticked, table);
    $("[data-count]", summary).textContent = String(ticked.length);
    $("[data-total]", summary).textContent = total.text;
    const mixed = $("[data-mixed-currencies]", summary);
    if (mixed) {
      mixed.hidden = total.currencies.length < 2;
      mixed.textContent = total.currencies.length < 2 ? "" : `Pay the ${total.currencies.join(" and the ")} invoices separately.`;
    }
    summary.classList.toggle("has-selection", ticked.length > 0);
    $$("[data-needs-selection]").forEach((button) => { button.disabled = ticked.length === 0; });
    const open = $$('input[name="invoice"]:not(:disabled)', table);
    const pageCount = $("[data-page-count]", summary);
    if (pageCount) pageCount.textContent = String(open.length);
    const hint = $("[data-selection-hint]");
    if (hint) hint.hidden = ticked.length > 0;
    $$("tbody tr", table).forEach((row) => {
      const box = $('input[name="invoice"]', row);
      row.classList.toggle("is-selected", Boolean(box && box.checked));
    });
    const all = document.getElementById("select-all");
    if (all) {
      all.checked = open.length > 0 && open.every((box) => box.checked);
      all.indeterminate = !all.checked && ticked.length > 0;
      all.disabled = open.length === 0;
    }
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "select-all") {
      $$('table.invoices input[name="invoice"]:not(:disabled)').forEach((box) => { box.checked = target.checked; });
    }
    if (target.matches('table.invoices input[type="checkbox"]')) updateSelection();
    if (target.matches('input[name="method"]') || target.matches("[data-use-credit]")) refreshDialog(target.closest("dialog") || document);
  });

  // --- the pay and schedule dialogs ----------------------------------------------------
  function refreshDialog(root) {
    $$(".method-choices", root).forEach((choices) => {
      const adding = $("[data-add-method]", choices);
      const panel = $("[data-add-panel]", choices);
      if (adding && panel) panel.hidden = !adding.checked;
    });
    const credit = $("[data-use-credit]", root);
    const breakdown = $("[data-credit-breakdown]", root);
    if (credit && breakdown) breakdown.hidden = !credit.checked;
    const submit = $("[data-make-payment]", root);
    if (submit && !submit.dataset.locked) {
      const chosen = $('input[name="method"]:checked', root);
      const rest = $("[data-rest-minor]", root);
      const creditCovers = credit && credit.checked && rest && Number(rest.dataset.restMinor) === 0;
      const hasMethod = chosen && chosen.value !== "new";
      submit.disabled = !(hasMethod || creditCovers) || submit.hasAttribute("data-blocked");
    }
  }

  // --- a payment method added through the gateway's card entry -------------------------
  // (remit/gateways/static/gateways/card_entry.js sends the card to the gateway and the
  // token to remit; the method list it swapped in has the new method chosen.)
  document.addEventListener("card-entry:saved", (event) => {
    const fresh = event.target.closest ? event.target.closest(".method-choices") : null;
    if (!fresh) return;
    refreshDialog(fresh.closest("dialog") || document);
    const chosen = $('input[name="method"]:checked', fresh);
    if (chosen) chosen.focus();
  });

  // --- start -----------------------------------------------------------------------------
  function start() {
    updateSelection();
    showConfirmation();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  // --- a session that may pay ends after the idle time: take the screen back too ---------
  // (the server has signed the session out by then; the reload shows the sign-in page)
  const idle = document.querySelector('meta[name="remit-idle-seconds"]');
  if (idle) {
    const idleMs = Number(idle.content) * 1000 + 5000;
    let idleTimer = null;
    const resetIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => window.location.reload(), idleMs);
    };
    document.addEventListener("htmx:afterRequest", resetIdle);
    resetIdle();
  }
})();
