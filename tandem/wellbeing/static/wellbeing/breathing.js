// Paced breathing: a counter that works with or without motion (prefers-reduced-motion
// stops the CSS circle; the counter still guides each breath). No inline script (CSP).
(function () {
  function start(box) {
    const phases = [
      [box.dataset.labelIn, parseInt(box.dataset.in, 10) || 4],
      [box.dataset.labelHold, parseInt(box.dataset.hold, 10) || 0],
      [box.dataset.labelOut, parseInt(box.dataset.out, 10) || 6],
    ].filter(function (p) { return p[1] > 0; });
    const counter = box.querySelector(".breath-counter");
    let phase = 0;
    let left = phases[0][1];
    function show() { counter.textContent = phases[phase][0] + " … " + left; }
    show();
    window.setInterval(function () {
      left -= 1;
      if (left <= 0) {
        phase = (phase + 1) % phases.length;
        left = phases[phase][1];
      }
      show();
    }, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".breathing").forEach(start);
  });
})();
