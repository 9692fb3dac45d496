// The section editor: a live preview, reading level and problems as you type, and
// buttons that insert a placeholder. The form saves without it too.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-live-preview]");
  if (!form) return;
  const text = form.querySelector("#markdown");
  const title = form.querySelector("#title");
  const problem = document.getElementById("draft-problem");
  const scores = document.getElementById("draft-scores");
  const warnings = document.getElementById("draft-warnings");
  const preview = document.getElementById("preview");
  const previewTitle = document.getElementById("preview-title");
  const shortWrap = document.getElementById("preview-short-wrap");
  const shortPreview = document.getElementById("preview-short");
  for (const button of form.querySelectorAll(".js-hidden")) button.hidden = true;

  const element = (tag, className, words) => {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (words) made.textContent = words;
    return made;
  };

  const show = (answer) => {
    problem.hidden = !answer.problem;
    problem.textContent = answer.problem ? `This text would not be saved: ${answer.problem}` : "";
    scores.replaceChildren();
    if (!answer.scored) {
      scores.append(element("span", "score", "Not scored: the grade formulas are made for English."));
    }
    for (const score of answer.scores) {
      const label = score.label === "Full text" ? "Grade" : "Short version: grade";
      const line = element("span", "score", `${label} ${score.grade} · SMOG ${score.smog}`);
      if (score.above_target) {
        line.append(" ", element("span", "status status-warn", "Hard to read"));
      }
      scores.append(line);
    }
    warnings.replaceChildren();
    for (const warning of answer.warnings) {
      const item = element("li");
      item.append(element("span", "status status-warn", "Warning"), ` ${warning}`);
      warnings.append(item);
    }
    // The server made this HTML as the leaflet does, sanitised (markup.sanitise_html).
    if (answer.html !== null) preview.innerHTML = answer.html;
    if (answer.html !== null) shortPreview.innerHTML = answer.short_html || "";
    if (answer.html !== null) shortWrap.hidden = !answer.short_html;
    previewTitle.textContent = title.value;
  };

  let timer = null;
  let asked = 0;
  const refresh = async () => {
    const number = ++asked;
    const data = new FormData(form);
    data.delete("action");
    try {
      const response = await fetch(form.dataset.livePreview, {
        method: "POST", body: data, credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`${response.status}`);
      const answer = await response.json();
      if (number === asked) show(answer); // an older answer never replaces a newer one
    } catch (error) {
      if (number !== asked) return;
      problem.hidden = false;
      problem.textContent = "The preview could not be updated (is the app still running?). Your text is still here.";
    }
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  };
  text.addEventListener("input", later);
  title.addEventListener("input", later);

  for (const button of form.querySelectorAll("[data-insert]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const start = text.selectionStart;
      const end = text.selectionEnd;
      text.setRangeText(button.dataset.insert, start, end, "end");
      text.focus();
      text.dispatchEvent(new Event("input"));
    });
  }
});
