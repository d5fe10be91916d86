/* The back office's keyboard and windows. htmx does the requests; this file only moves
   focus, opens and closes windows, and keeps a window open while its payment is saved.
   Cards go to the gateway through gateways/card_entry.js, never through here.
   No business rule lives here: every amount shown comes from the server. */
(function () {
  "use strict";

  const IDLE_MS = 15 * 60 * 1000 + 5000;
  let opener = null;

  // --- windows (dialogs) ---------------------------------------------------------------
  function focusInto(root) {
    const target =
      root.querySelector("[aria-invalid=true]") ||
      root.querySelector("[autofocus]:not([disabled])") ||
      root.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea, button");
    if (!target) return;
    target.focus();
    if (target.matches("[data-select-on-focus]") && target.select) target.select();
  }

  function openDialog(dialog) {
    if (!dialog.open) {
      if (!opener) opener = document.activeElement;
      dialog.showModal();
    }
    focusInto(dialog);
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const target = event.detail.target;
    if (target && target.id === "window-body" && !document.getElementById("window").open) {
      // Focus goes back where the window was opened from (F8 leaves it on the page).
      opener = event.detail.elt.matches("button, a") ? event.detail.elt : document.activeElement;
    }
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    const dialog = document.getElementById("window");
    if (target && target.id === "window-body") {
      if (dialog) openDialog(dialog);
      else focusInto(target); // a window opened as a page of its own
    }
    syncPaymentType(target);
    if (target && target.id === "customer-results" && openWhenFound) {
      openWhenFound = false;
      const first = rows()[0];
      if (first) window.location.assign(first.dataset.href);
    }
  });

  // A request that fails says so where the clerk is looking; it never shows a stack trace.
  function failed(event, text) {
    const where = event.detail.elt.closest("dialog, form, main") || document.body;
    let alert = where.querySelector(".request-failed");
    if (!alert) {
      alert = document.createElement("div");
      alert.className = "form-error request-failed";
      alert.setAttribute("role", "alert");
      (where.querySelector(".window-scroll") || where).prepend(alert);
    }
    alert.textContent = text;
  }
  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    failed(event, status === 403
      ? "Your account may not do that."
      : "remit could not finish this request. Check the customer's payment history before trying again.");
  });
  document.addEventListener("htmx:sendError", (event) => {
    failed(event, "remit could not be reached. Check the customer's payment history before trying again.");
  });

  document.addEventListener("close", (event) => {
    const dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement)) return;
    if (dialog.dataset.busy) { // closed anyway (a browser's own way out): open it again
      dialog.showModal();
      return;
    }
    const body = dialog.querySelector("#window-body");
    if (body) body.innerHTML = "";
    if (opener && document.body.contains(opener)) opener.focus();
    opener = null;
  }, true);

  // --- a window saving a payment stays open until the answer is in ----------------------
  // While the payment is saved (for a card: while the gateway works), the window's × and
  // Cancel are disabled, Esc and a click outside do nothing: closed early, the window would
  // leave the record showing what is no longer true. The answer (the record, or the window
  // again with the reason) is what ends it.
  function setBusy(dialog, busy) {
    if (busy) {
      dialog.dataset.busy = "1";
      dialog.setAttribute("closedby", "none");
      dialog.setAttribute("aria-busy", "true");
    } else {
      delete dialog.dataset.busy;
      dialog.removeAttribute("closedby");
      dialog.removeAttribute("aria-busy");
    }
    dialog.querySelectorAll("[data-close]").forEach((button) => { button.disabled = busy; });
  }

  let saving = null; // the request saving the window's payment, while it runs

  document.addEventListener("htmx:beforeRequest", (event) => {
    const dialog = document.getElementById("window");
    const elt = event.detail.elt;
    if (!dialog || !dialog.open || !elt.matches || !elt.matches("form[data-payment-form]")) return;
    saving = event.detail.xhr;
    setBusy(dialog, true);
  });
  // The answer is in: shown in the window (a refusal, a decline), or the request failed.
  // A saved payment answers HX-Redirect: the page leaves, and the window stays shut.
  ["htmx:beforeSwap", "htmx:afterRequest", "htmx:sendError", "htmx:timeout"].forEach((name) => {
    document.addEventListener(name, (event) => {
      const dialog = document.getElementById("window");
      const xhr = event.detail.xhr;
      if (!saving || xhr !== saving || !dialog) return;
      if (name === "htmx:afterRequest" && event.detail.successful && xhr.getResponseHeader("HX-Redirect")) return;
      saving = null;
      setBusy(dialog, false);
    });
  });

  // Esc closes a window, except while it is saving a payment.
  document.addEventListener("keydown", (event) => {
    const dialog = document.getElementById("window");
    if (event.key === "Escape" && dialog && dialog.dataset.busy) event.preventDefault();
  }, true);
  document.addEventListener("cancel", (event) => {
    const dialog = event.target;
    if (dialog instanceof HTMLDialogElement && (dialog.dataset.busy || dialog.querySelector(".htmx-request"))) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("click", (event) => {
    const closer = event.target.closest("[data-close]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog && dialog.dataset.busy) return;
      if (dialog) dialog.close();
      else window.history.back(); // a window opened as a page of its own
      return;
    }
    const opens = event.target.closest("[data-opens]");
    if (opens) {
      opener = opens;
      openDialog(document.getElementById(opens.dataset.opens));
      return;
    }
    if (event.target.closest("[data-print]")) window.print();
  });

  // --- keys --------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (event.key === "F8") {
      const button = document.querySelector("[data-hotkey=F8]");
      const open = document.querySelector("dialog[open]");
      if (button && !open) {
        event.preventDefault();
        button.click();
      }
      return;
    }
    // A one-letter key (data-hotkey="w": write off a small difference) outside any field.
    if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey
        && !event.target.closest("input, textarea, select, [contenteditable]")) {
      const button = document.querySelector(`[data-hotkey="${event.key.toLowerCase()}"]`);
      if (button && !document.querySelector("dialog[open]")) {
        event.preventDefault();
        button.click();
        return;
      }
    }
    // Enter saves, in the Notes too (Shift+Enter for a new line).
    if (event.key === "Enter" && !event.shiftKey && event.target.matches("form textarea")) {
      event.preventDefault();
      event.target.form.requestSubmit();
      return;
    }
    // Enter in the gateway's card entry adds the card (gateways/card_entry.js), never saves.
    if (event.key === "Enter" && event.target.closest("[data-card-entry]")) return;
    pickListKeys(event);
  });

  // --- the customer search's result list ------------------------------------------------
  function rows() {
    return Array.from(document.querySelectorAll("[data-pick-list] tbody tr[data-href]"));
  }

  function select(row) {
    rows().forEach((r) => r.setAttribute("aria-selected", r === row ? "true" : "false"));
  }

  let openWhenFound = false;

  function pickListKeys(event) {
    const inSearch = event.target.id === "customer-search";
    if (inSearch && event.key === "Enter") {
      // Results for what is typed now, not for what was typed 150 ms ago.
      const shown = document.querySelector("#customer-results [data-pick-list]");
      if (!shown || shown.dataset.query !== event.target.value) {
        event.preventDefault();
        openWhenFound = true;
        htmx.trigger(event.target, "search");
        return;
      }
    }
    const list = rows();
    if (!list.length) return;
    const row = event.target.closest && event.target.closest("tr[data-href]");
    if (!inSearch && !row) return;
    const index = row ? list.indexOf(row) : -1;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = event.key === "ArrowDown" ? Math.min(index + 1, list.length - 1) : index - 1;
      if (next < 0) {
        document.getElementById("customer-search").focus();
        return;
      }
      select(list[next]);
      list[next].focus();
    } else if (event.key === "Enter") {
      event.preventDefault();
      const chosen = row || list.find((r) => r.getAttribute("aria-selected") === "true") || list[0];
      window.location.assign(chosen.dataset.href);
    }
  }

  document.addEventListener("dblclick", (event) => {
    const row = event.target.closest("[data-pick-list] tr[data-href]");
    if (row) window.location.assign(row.dataset.href);
  });
  document.addEventListener("focusin", (event) => {
    const row = event.target.closest && event.target.closest("[data-pick-list] tr[data-href]");
    if (row) select(row);
  });
  document.addEventListener("click", (event) => {
    const row = event.target.closest("[data-pick-list] tr[data-href]");
    if (row && !event.target.closest("a")) row.focus();
  });

  // --- Payment Type: which fields it enables ----------------------------------------------
  function syncPaymentType(root) {
    root = root || document;
    const forms = Array.from(root.querySelectorAll("[data-payment-form]"));
    if (root.matches && root.matches("[data-payment-form]")) forms.push(root);
    forms.forEach((form) => {
      const kind = form.querySelector("[name=payment_type]");
      if (!kind) return;
      const numbered = kind.value === "check" || kind.value === "money_order";
      const reference = form.querySelector("[data-numbered]");
      if (reference) reference.disabled = !numbered;
      const card = form.querySelector("[data-card-fields]");
      if (card) {
        card.hidden = kind.value !== "card";
        card.disabled = kind.value !== "card";
      }
      form.dataset.kind = kind.value;
      const text = form.querySelector("[data-progress-text]");
      if (text) {
        text.textContent = kind.value === "card"
          ? "Contacting the payment gateway… do not close this window."
          : "Saving…";
      }
    });
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-payment-form] [name=payment_type]")) {
      syncPaymentType(event.target.form);
      const form = event.target.form;
      if (event.target.value === "check" || event.target.value === "money_order") {
        // The number is what the clerk types next.
        form.querySelector("[data-numbered]").focus();
      }
    }
  });

  // A card added through the gateway's card entry: the amount is what the clerk types next.
  document.addEventListener("card-entry:saved", () => {
    const amount = document.querySelector("#payment-form [name=amount]");
    if (amount) amount.focus();
  });

  // The split is previewed as amounts are typed: an input in one of the amount fields of a
  // [data-amount-inputs] block tells that block (hx-trigger="amount-input"). Done here, not
  // in an hx-trigger filter, which htmx would evaluate as code (the CSP allows no eval).
  document.addEventListener("input", (event) => {
    const live = event.target.closest("[data-amount-inputs]");
    if (live && event.target.matches(live.dataset.amountInputs)) htmx.trigger(live, "amount-input");
    // The Post Date decides the early-payment discounts the split earns (saving judges
    // them on it), so a new date previews the split again.
    if (event.target.matches("#payment-form [name=post_date]")) {
      const split = event.target.form.querySelector("[data-amount-inputs]");
      if (split) htmx.trigger(split, "amount-input");
    }
    // The amount's error from the last Save is stale once the amount changes: the live
    // line below the field speaks from now on, so the error is shown once, by the field.
    if (event.target.matches("#payment-form [name=amount]")) {
      const stale = document.getElementById("id_amount_error");
      if (stale) stale.remove();
    }
  });

  // Apply credit: an amount typed for an invoice chooses it.
  document.addEventListener("input", (event) => {
    if (!event.target.matches("#credit-form [name=fixed]") || !event.target.value.trim()) return;
    const box = event.target.closest("tr").querySelector("[name=chosen]");
    if (box) box.checked = true;
  });

  // --- forms that post without htmx: one click only ---------------------------------------
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("[data-busy-form]")) return;
    if (form.dataset.busy) { event.preventDefault(); return; }
    form.dataset.busy = "1";
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
  });

  // --- staff sessions end after 15 idle minutes: take the screen back too ----------------
  let idleTimer = null;
  function resetIdle() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => window.location.reload(), IDLE_MS);
  }
  ["keydown", "pointerdown", "htmx:afterRequest"].forEach((name) =>
    document.addEventListener(name, resetIdle, { passive: true }));

  document.addEventListener("DOMContentLoaded", () => {
    resetIdle();
    syncPaymentType(document);
    const start = document.querySelector("dialog[data-open]");
    if (start) openDialog(start);
    else {
      const invalid = document.querySelector("main [aria-invalid=true]");
      if (invalid) invalid.focus(); // after a refused form: the field to fix
    }
  });
})();
