/* The gateway's card entry (remit/gateways/card_entry.py), in the portal and the back office.

   The card goes from this page to the gateway, and only there: to the sandbox's tokenising
   endpoint (with no cookies), or into Stripe's own Elements iframe. remit's view then gets
   the token, the holder's name and whether to save the card, nothing else; its answer
   replaces the entry's target (htmx), and "card-entry:saved" is dispatched on the target
   so the face can move focus. No business rule here: remit asks the gateway what the
   token is, and decides. */
(() => {
  "use strict";
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const stripeOf = new WeakMap(); // entry -> {stripe, card}

  class EntryError extends Error {
    constructor(message, field = "") { super(message); this.field = field; }
  }

  function kindOf(entry) {
    const chosen = $("[data-entry-kind]:checked", entry);
    return chosen ? chosen.value : "card";
  }

  function showKind(entry) {
    const kind = kindOf(entry);
    $$("[data-kind]", entry).forEach((part) => { part.hidden = part.dataset.kind !== kind; });
  }

  // --- Stripe Elements ------------------------------------------------------------------
  function mountStripe(entry) {
    if (entry.dataset.gateway !== "stripe" || stripeOf.has(entry)) return;
    const mount = $("[data-stripe-element]", entry);
    if (!mount) return;
    if (!window.Stripe) {
      const script = $("script[data-stripe-js]");
      if (script && !script.dataset.failed) {
        script.addEventListener("load", () => mountStripe(entry), { once: true });
        script.addEventListener("error", () => { script.dataset.failed = "1"; mountStripe(entry); }, { once: true });
        return;
      }
      showError(entry, new EntryError("The card form could not load. Check your connection and reload the page."));
      return;
    }
    const stripe = window.Stripe(entry.dataset.publishableKey);
    const card = stripe.elements().create("card", { hidePostalCode: true });
    card.mount(mount);
    stripeOf.set(entry, { stripe, card });
  }

  async function stripeToken(entry, details) {
    const mounted = stripeOf.get(entry);
    if (!mounted) throw new EntryError("The card form has not loaded yet; wait a moment and try again.");
    const result = await mounted.stripe.createPaymentMethod({
      type: "card",
      card: mounted.card,
      billing_details: details.name ? { name: details.name } : {},
    });
    if (result.error) throw new EntryError(result.error.message, "card");
    return result.paymentMethod.id;
  }

  // --- the sandbox's tokenising endpoint ---------------------------------------------------
  async function sandboxToken(entry, details) {
    const answer = await fetch(entry.dataset.tokenizeUrl, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(details),
    });
    const body = await answer.json();
    if (!answer.ok) {
      throw new EntryError(body.message || "The payment method was not accepted.", Object.keys(body.fields || {})[0] || "");
    }
    return body.token;
  }

  // --- adding -------------------------------------------------------------------------------
  function clearErrors(entry) {
    $$("[data-field-error]", entry).forEach((slot) => { slot.textContent = ""; });
    $$("[data-field]", entry).forEach((input) => input.removeAttribute("aria-invalid"));
    const general = $("[data-entry-error]", entry);
    general.textContent = "";
    general.hidden = true;
  }

  function showError(entry, problem) {
    const kind = kindOf(entry);
    const part = $(`[data-kind="${kind}"]`, entry) || entry;
    const slot = problem.field && $(`[data-field-error="${problem.field}"]`, part);
    if (slot) {
      slot.textContent = problem.message;
      const input = $(`[data-field="${problem.field}"]`, part);
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    } else {
      const general = $("[data-entry-error]", entry);
      general.textContent = problem.message;
      general.hidden = false;
    }
  }

  async function add(entry) {
    const button = $("[data-entry-submit]", entry);
    const status = $("[data-entry-status]", entry);
    if (button.disabled) return;
    const kind = kindOf(entry);
    const part = $(`[data-kind="${kind}"]`, entry);
    const details = { kind };
    $$("[data-field]", part).forEach((input) => {
      details[input.dataset.field] = input.value.trim();
    });
    const choice = $("[data-save-choice]", part); // none: the form always saves
    clearErrors(entry);
    button.disabled = true;
    status.textContent = "Sending to the payment gateway…";
    try {
      // 1. The card or account goes to the gateway, and only there.
      const token = entry.dataset.gateway === "stripe"
        ? await stripeToken(entry, details)
        : await sandboxToken(entry, details);
      $$("[data-field]", entry).forEach((input) => { if (input.dataset.field !== "name") input.value = ""; });
      const stripe = stripeOf.get(entry);
      if (stripe) stripe.card.clear();
      // 2. remit gets the token; it asks the gateway what the token is.
      status.textContent = "Saving…";
      await window.htmx.ajax("POST", entry.dataset.saveUrl, {
        source: button,
        target: entry.dataset.target,
        swap: "outerHTML",
        values: {
          token,
          holder_name: details.name || "",
          save: choice ? (choice.checked ? "1" : "") : "1",
          form_id: entry.dataset.formId || "",
        },
      });
      const target = $(entry.dataset.target);
      (target || document).dispatchEvent(new CustomEvent("card-entry:saved", { bubbles: true }));
    } catch (problem) {
      showError(entry, problem instanceof EntryError ? problem
        : new EntryError("The payment gateway could not be reached; nothing was saved. Try again."));
    } finally {
      if (document.body.contains(entry)) {
        button.disabled = false;
        status.textContent = "";
      }
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-entry-submit]");
    if (button) add(button.closest("[data-card-entry]"));
  });

  // Enter in the entry adds the card; it must never submit the form around it.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !event.target.closest) return;
    const entry = event.target.closest("[data-card-entry]");
    if (!entry || !event.target.matches("input[data-field]")) return;
    event.preventDefault();
    add(entry);
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-entry-kind]")) showKind(event.target.closest("[data-card-entry]"));
  });

  function start(root) {
    const entries = $$("[data-card-entry]", root);
    if (root.matches && root.matches("[data-card-entry]")) entries.push(root);
    entries.forEach((entry) => { showKind(entry); mountStripe(entry); });
  }
  document.addEventListener("htmx:load", (event) => start(event.detail.elt));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start(document));
  else start(document);
})();
