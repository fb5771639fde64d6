// Skill suggestions as the worker types (progressive enhancement: without this script the
// "Find skills" button submits the form and the server lists the same suggestions).
(function () {
  "use strict";
  var input = document.getElementById("skill_q");
  var list = document.getElementById("found-skills");
  if (!input || !list || !window.fetch) return;
  var timer = null, lastQuery = "";
  var bangla = document.documentElement.lang === "bn";
  function item(s) {
    var li = document.createElement("li"), label = document.createElement("label");
    var box = document.createElement("input"), text = document.createElement("span");
    label.className = "check"; box.type = "checkbox"; box.name = "skills"; box.value = s.uri;
    if (bangla && s.label_bn) { text.textContent = s.label_bn; }
    else { text.textContent = s.label; if (bangla) text.lang = "en"; }
    label.appendChild(box); label.appendChild(document.createTextNode(" ")); label.appendChild(text);
    li.appendChild(label); return li;
  }
  function show(items) {
    var kept = list.querySelectorAll("input:checked");
    list.textContent = "";
    kept.forEach(function (box) { list.appendChild(box.closest("li")); });
    var mine = {};
    document.querySelectorAll("input[name=skills]").forEach(function (b) { mine[b.value] = 1; });
    items.forEach(function (s) { if (!mine[s.uri]) list.appendChild(item(s)); });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 2 || q === lastQuery) return;
      lastQuery = q;
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {items: []}; })
        .then(function (body) { if (q === lastQuery) show(body.items || []); })
        .catch(function () {});
    }, 250);
  });
})();
