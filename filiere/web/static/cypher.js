/* filiere workspace, Cypher page: draw the result's nodes and relationships with Cytoscape. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("cy");
    var data = document.getElementById("cy-elements");
    if (!box || !data || typeof cytoscape === "undefined") { return; }
    var elements = JSON.parse(data.textContent).elements;
    cytoscape({
      container: box,
      elements: elements,
      layout: { name: "cose", animate: false },
      style: [
        { selector: "node", style: { label: "data(label)", "text-wrap": "wrap", "font-size": 10,
          "background-color": "#0b4f8a", color: "#1a1a1a", "text-valign": "bottom" } },
        { selector: "edge", style: { label: "data(label)", "font-size": 8, width: 1.5,
          "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": "#9aa5b1",
          "target-arrow-color": "#9aa5b1" } }
      ]
    });
    box.setAttribute("data-ready", "true");
  });
})();
