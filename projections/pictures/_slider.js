// The slider page: redraw the markers and people at each stop, and list what changed, with sources.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chrono-data").textContent);
  var svg = document.querySelector("#map svg");
  var NS = svg.namespaceURI;
  var slider = document.getElementById("slider");
  var when = document.getElementById("when");
  var panel = document.getElementById("changes");

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function name(id) { return id ? (data.names[id] || id) : data.no_holder; }
  function colour(actor) { return actor == null ? data.nobody : (data.colors[actor] || "#9e9e9e"); }

  // The twin of _svg.marker_inner: keep the two in step.
  function markerInner(r, fill, status, pending, contested) {
    var hollow = status === "unknown";
    var out = '<circle class="marker-disc" r="' + r + '" fill="' + (hollow ? "#fff" : fill) + '" stroke="' + (hollow ? "#777" : "#222") + '" stroke-width="1"/>';
    if (status === "possible" && pending) {
      out += '<path class="marker-pending" d="M0,' + (-r) + "A" + r + "," + r + " 0 0 1 0," + r + 'Z" fill="' + pending + '" stroke="#222" stroke-width="0.6"/>';
    }
    if (contested) {
      out += '<circle class="marker-hatch" r="' + r + '" fill="url(#hatch)"/>';
      out += '<circle class="marker-ring" r="' + (r + 3) + '" fill="none" stroke="#111" stroke-width="1.6"/>';
    } else if (status === "possible") {
      out += '<circle class="marker-ring" r="' + (r + 3) + '" fill="none" stroke="#111" stroke-width="1.4" stroke-dasharray="2.5,2"/>';
    }
    return out;
  }

  function describe(id, v) {
    var ctrl = v[0], status = v[1], cands = v[2], contested = v[3];
    var text;
    if (status === "unknown") text = "nothing known yet";
    else if (status === "possible") text = "possibly " + cands.map(name).join(" or ");
    else text = "held by " + name(ctrl);
    if (contested.length) text += ", contested by " + contested.map(name).join(", ");
    return name(id) + ": " + text;
  }

  function drawPlace(id, v) {
    var g = document.getElementById("place-" + id);
    if (!g) return;
    var marker = g.querySelector(".marker");
    var disc = marker.querySelector(".marker-disc");
    var r = parseFloat(disc.getAttribute("r"));
    var fill = colour(v[0]);
    var pending = v[1] === "possible" && v[2].length > 1 ? colour(v[2][1]) : null;
    [g, marker].forEach(function (el) {
      el.setAttribute("data-controller", v[0] || "");
      el.setAttribute("data-status", v[1]);
      el.setAttribute("data-contested", v[3].join(" "));
      el.setAttribute("data-color", fill);
    });
    marker.setAttribute("fill", fill);
    marker.innerHTML = markerInner(r, fill, v[1], pending, v[3].length > 0);
    var title = g.querySelector("title");
    if (title) title.textContent = describe(id, v);
  }

  function drawPeople(people) {
    var byPlace = {};
    Object.keys(people).sort().forEach(function (person) {
      var w = people[person];
      if (!w[0]) return;
      var text = (w[3] === false ? "† " : "") + name(person);
      if (w[1] === "possible") {
        var others = w[2].slice(1).filter(Boolean).map(name);
        text += others.length ? " (or " + others.join(", ") + "?)" : "?";
      }
      (byPlace[w[0]] = byPlace[w[0]] || []).push({person: person, text: text});
    });
    svg.querySelectorAll(".label[data-for]").forEach(function (label) {
      label.querySelectorAll(".person-label").forEach(function (t) { t.remove(); });
      var place = label.getAttribute("data-for");
      var first = label.querySelector(".place-label");
      if (!first || !byPlace[place]) return;
      var x = first.getAttribute("x"), y = parseFloat(first.getAttribute("y"));
      byPlace[place].forEach(function (p, i) {
        var t = document.createElementNS(NS, "text");
        t.setAttribute("class", "person-label");
        t.setAttribute("data-person", p.person);
        t.setAttribute("x", x);
        t.setAttribute("y", y + (i + 1) * (label.classList.contains("beyond") ? 15 : 12));
        t.textContent = "◆ " + p.text;
        label.appendChild(t);
      });
    });
  }

  function sourcesHtml(ev) {
    if (!ev) return "";
    var out = '<div class="when-ev">' + esc(ev.when || "") + (ev.wording ? " — “" + esc(ev.wording) + "”" : "") + "</div>";
    ev.sources.forEach(function (s) {
      out += '<div class="source">' + esc(s.outlet) + (s.attribution && s.attribution !== s.outlet ? ", " + esc(s.attribution) : "") +
        (s.quote ? ": <q>" + esc(s.quote) + "</q>" : "") + "</div>";
    });
    if (ev.corrected_by.length) out += '<div class="source">as corrected by ' + esc(ev.corrected_by.join(", ")) + "</div>";
    return out;
  }

  function drawChanges(step) {
    if (!step.changes.length) {
      panel.innerHTML = '<p class="empty">Nothing changed at this stop.</p>';
      return;
    }
    panel.innerHTML = step.changes.map(function (ch) {
      var evs = ch.events.map(function (id) { return data.events[id]; }).filter(Boolean);
      var badge = ch.status === "possible" || /possibly/.test(ch.text) ? '<span class="badge possible">possible</span>' : "";
      return '<div class="change ' + ch.kind + '"' + (ch.place ? ' data-place="' + esc(ch.place) + '"' : "") + ">" +
        '<div class="what">' + badge + esc(ch.text) + "</div>" +
        evs.map(function (ev) { return '<div class="event"><span class="event-id">' + esc(ev.id) + "</span> " + esc(ev.summary) + sourcesHtml(ev) + "</div>"; }).join("") +
        "</div>";
    }).join("");
  }

  function show(i) {
    i = Math.max(0, Math.min(data.steps.length - 1, i | 0));
    var step = data.steps[i];
    slider.value = i;
    when.textContent = step.label;
    document.body.setAttribute("data-step", i);
    document.body.setAttribute("data-time", step.t);
    Object.keys(step.places).forEach(function (id) { drawPlace(id, step.places[id]); });
    drawPeople(step.people);
    drawChanges(step);
  }

  // The last stop at or before an ISO time: for tests and for links like page.html#2024-12-07T21:30.
  function stepAt(isoTime) {
    var t = Date.parse(isoTime), best = 0;
    data.steps.forEach(function (s, i) { if (Date.parse(s.t) <= t) best = i; });
    return best;
  }

  var timer = null;
  slider.addEventListener("input", function () { show(+slider.value); });
  document.getElementById("prev").addEventListener("click", function () { show(+slider.value - 1); });
  document.getElementById("next").addEventListener("click", function () { show(+slider.value + 1); });
  document.getElementById("play").addEventListener("click", function (e) {
    if (timer) { clearInterval(timer); timer = null; e.target.textContent = "play"; return; }
    e.target.textContent = "pause";
    timer = setInterval(function () {
      if (+slider.value >= data.steps.length - 1) { clearInterval(timer); timer = null; e.target.textContent = "play"; return; }
      show(+slider.value + 1);
    }, 700);
  });
  window.chronoShow = show;
  window.chronoStepAt = stepAt;
  var hash = decodeURIComponent(location.hash.slice(1));
  show(hash ? stepAt(hash) : 0);
})();
