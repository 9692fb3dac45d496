// The manager's clinic page: colour pickers kept in step with their hex boxes, and the
// WCAG contrast on white shown as a colour is chosen. The server checks it again on save.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const AA = 4.5;
  const HEX = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

  const full = (hex) => {
    const digits = hex.slice(1);
    return "#" + (digits.length === 3 ? digits.replace(/./g, "$&$&") : digits).toLowerCase();
  };
  const luminance = (hex) => {
    const value = full(hex);
    const channels = [1, 3, 5].map((start) => parseInt(value.slice(start, start + 2), 16) / 255);
    const linear = channels.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  };
  const ratio = (hex) => (1 + 0.05) / (luminance(hex) + 0.05); // against white

  const swatch = document.querySelector("[data-swatch]");
  const show = (role, hex) => {
    const line = document.querySelector(`[data-contrast="${role}"]`);
    if (!line) return;
    if (!HEX.test(hex)) {
      line.textContent = "Write a colour like #1f6f78.";
      line.classList.add("contrast-bad");
      return;
    }
    const value = ratio(hex);
    const shown = `${value.toFixed(1)}:1 on white`;
    if (role === "primary") {
      const ok = value >= AA;
      line.textContent = ok
        ? `${shown}: text in it reads well.`
        : `${shown}: too light for text (needs ${AA}:1); choose a darker colour.`;
      line.classList.toggle("contrast-bad", !ok);
      line.classList.toggle("contrast-ok", ok);
    } else {
      line.textContent = `${shown}.`;
      line.classList.remove("contrast-bad");
    }
    if (swatch) swatch.style.setProperty(`--swatch-${role}`, full(hex));
  };

  for (const text of document.querySelectorAll("[data-colour-text]")) {
    const role = text.dataset.colourText;
    const picker = document.querySelector(`[data-colour-picker="${text.id}"]`);
    if (picker) {
      picker.addEventListener("input", () => {
        text.value = picker.value;
        show(role, picker.value);
      });
    }
    text.addEventListener("input", () => {
      const hex = text.value.trim();
      if (picker && HEX.test(hex)) picker.value = full(hex);
      show(role, hex);
    });
    if (picker && HEX.test(text.value.trim())) picker.value = full(text.value.trim());
    show(role, text.value.trim());
  }
});
