/* The clinic's list of the day, progressively enhanced: the list filters as you type, and a
   tap on a dose button records it without reloading the page (the row is replaced by the
   server's). Without JavaScript the search box posts (a name never goes into a URL) and each
   button posts its form. */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function filter(box) {
    var wanted = fold(box.value);
    var rows = document.querySelectorAll("[data-search]");
    var shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var match = !wanted || row.getAttribute("data-search").indexOf(wanted) !== -1;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    var none = document.querySelector("[data-today-none]");
    if (none) { none.hidden = shown !== 0 || rows.length === 0; }
  }

  // One polite live region, made here (the list works without it): after a tap it says whose
  // dose was recorded and how, as the row now shows it, or why it was refused.
  var live = null;

  function announce(text) {
    if (!live) { return; }
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function said(row) {
    var who = row.querySelector(".today-who strong");
    var status = row.querySelector("[data-testid=today-status] .tag");
    var name = who ? who.textContent.trim() : "";
    return (name ? name + ": " : "") + (status ? status.textContent.replace(/\s+/g, " ").trim() : "");
  }

  // Keyboard focus goes on, not to the top of the page: to the first button of the next row
  // still to dose, else back to this row.
  function focusAfter(row) {
    var next = row.nextElementSibling;
    while (next) {
      var button = next.hidden ? null : next.querySelector("form[data-today-dose] button:not([disabled])");
      if (button) { button.focus(); return; }
      next = next.nextElementSibling;
    }
    var own = row.querySelector("button:not([disabled]), a.button");
    if (own) { own.focus(); return; }
    row.setAttribute("tabindex", "-1");
    row.focus();
  }

  function record(form, submitter) {
    var data = new FormData(form, submitter);
    var row = form.closest("li");
    var buttons = form.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      if (answer.html) {
        var holder = document.createElement("ul");
        holder.innerHTML = answer.html.trim();
        var fresh = holder.firstElementChild;
        row.replaceWith(fresh);
        bind(fresh);
        row = fresh;
      }
      if (!answer.ok) {
        var slot = row.querySelector("[data-row-error]");
        if (slot) { slot.textContent = answer.error; slot.hidden = false; }
        var retry = row.querySelector("form[data-today-dose] button");
        if (retry) { retry.focus(); } else { focusAfter(row); }
      } else {
        announce(said(row));
        focusAfter(row);
      }
    }).catch(function () {
      form.submit(); // the network failed: fall back to the ordinary post
    }).finally(function () {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
    });
  }

  function bind(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("form[data-today-dose]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.fetch || !event.submitter) { return; }
        event.preventDefault();
        record(form, event.submitter);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector(".today-list");
    if (list) {
      live = document.createElement("p");
      live.className = "visually-hidden";
      live.setAttribute("role", "status");
      live.setAttribute("data-testid", "today-announce");
      list.parentNode.insertBefore(live, list);
    }
    var box = document.querySelector("[data-today-filter]");
    if (box) {
      box.addEventListener("input", function () { filter(box); });
      var form = box.form;
      if (form) {
        form.addEventListener("submit", function (event) { event.preventDefault(); filter(box); });
      }
    }
    bind(document);
  });
})();
