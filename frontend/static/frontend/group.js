// The registration form's "Người đại diện" boxes, shown only when the number of people needs them (the
// group-case rule, DOMAIN.md: from data-group-min people 1..data-reps-small representatives, more than
// data-large people up to data-reps-large). Hidden boxes are disabled so they are not sent. Without this
// script every box stays visible and the server checks the rule (scheduling.services.registrations).
"use strict";
(function () {
  const group = document.querySelector("[data-group-min]");
  const count = document.getElementById("id_people_count");
  if (!group || !count) return;
  const min = +group.dataset.groupMin, large = +group.dataset.large;
  const small = +group.dataset.repsSmall, most = +group.dataset.repsLarge;
  const boxes = Array.from(group.querySelectorAll(".field"));
  function update() {
    const people = parseInt(count.value, 10) || 0;
    const shown = people < min ? 0 : (people > large ? most : small);
    group.hidden = shown === 0;
    boxes.forEach(function (box, i) {
      const input = box.querySelector("input");
      const keep = i < shown || (input && input.value.trim() !== "" && shown > 0);
      box.hidden = !keep;
      if (input) input.disabled = !keep;
    });
  }
  count.addEventListener("input", update);
  update();
}());
