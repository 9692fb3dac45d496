// Small helpers for the reception pages. Everything works without them except print.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Search box: show only the treatments whose name or summary matches.
  for (const box of document.querySelectorAll("[data-filter]")) {
    const list = document.getElementById(box.dataset.filter);
    const none = document.getElementById("no-match");
    const filter = () => {
      const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const item of list.children) {
        const text = item.dataset.search || "";
        const match = words.every((word) => text.includes(word));
        // A ticked treatment stays visible, so nobody loses track of what is chosen.
        const keep = match || item.querySelector("input").checked;
        item.hidden = !keep;
        if (keep) shown += 1;
      }
      if (none) none.hidden = shown > 0;
    };
    box.addEventListener("input", filter);
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault(); // Enter must not submit half a form
    });
    filter();
  }

  // Busy state: a clear sign that the leaflet is being made, and no double submits.
  for (const form of document.querySelectorAll("form[data-busy-form]")) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit]");
      if (!button) return;
      if (button.dataset.busyLabel) button.textContent = button.dataset.busyLabel;
      button.setAttribute("aria-busy", "true");
      setTimeout(() => { button.disabled = true; }, 0);
    });
  }

  // Print: load the PDF in a hidden frame and open the browser's print dialog on it.
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => {
      const old = document.querySelector("iframe.print-frame");
      if (old) old.remove();
      const frame = document.createElement("iframe");
      frame.className = "print-frame";
      frame.title = "Leaflet for printing";
      frame.src = button.dataset.print;
      frame.addEventListener("load", () => {
        try {
          frame.contentWindow.focus();
          frame.contentWindow.print();
        } catch (error) {
          window.open(button.dataset.print, "_blank", "noopener");
        }
      });
      document.body.appendChild(frame);
      const help = document.getElementById("print-help");
      if (help) help.hidden = false;
    });
  }

  // After a failed form, take keyboard and screen reader users to the message.
  const error = document.getElementById("form-error");
  if (error) { error.setAttribute("tabindex", "-1"); error.focus(); }
});
