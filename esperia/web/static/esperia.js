// Folds the navigation into a menu button on small screens, and draws the
// charts that pages describe in [data-figure] attributes (plotly.js, loaded
// only by pages that have charts).
"use strict";
document.documentElement.classList.remove("no-js");

function drawFigures(root) {
  if (typeof window.Plotly === "undefined") {
    return;
  }
  root.querySelectorAll("[data-figure]").forEach(function (element) {
    var spec = JSON.parse(element.getAttribute("data-figure"));
    element.removeAttribute("style");
    window.Plotly.newPlot(element, spec.data, spec.layout, {
      displaylogo: false,
      responsive: true,
    }).then(function () {
      element.setAttribute("data-drawn", "true");
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  drawFigures(document);
});
window.esperiaDrawFigures = drawFigures;
