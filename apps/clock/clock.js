// A browser-side clock: proves the composed page still runs an app's own JavaScript.
(function () {
  "use strict";
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function start() {
    var face = document.getElementById("clock-time");
    if (!face) {
      return;
    }
    var ticks = 0;
    function tick() {
      var now = new Date();
      ticks += 1;
      face.textContent = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
      face.setAttribute("datetime", now.toISOString());
      face.setAttribute("data-ticks", String(ticks));
    }
    tick();
    window.setInterval(tick, 1000);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
