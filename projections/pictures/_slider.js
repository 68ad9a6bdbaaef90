// The slider page: redraw the markers and people at each stop, and list what changed, with sources.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chrono-data").textContent);
  var svg = document.querySelector("#map svg");
  var slider = document.getElementById("slider");
  var when = document.getElementById("when");
  var panel = document.getElementById("changes");
  var summary = document.getElementById("summary");

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  // Every marker and name was drawn by the code that draws the static map (_svg.marker_state and
  // _svg.label_layers); a stop only says which of them it shows.
  function drawPlace(id, m) {
    svg.querySelectorAll('.place[data-place="' + CSS.escape(id) + '"], .place-copy[data-place="' + CSS.escape(id) + '"]').forEach(function (g) {
      var marker = g.querySelector(".marker");
      [g, marker].forEach(function (el) {
        el.setAttribute("data-controller", m.controller);
        el.setAttribute("data-status", m.status);
      });
      g.setAttribute("data-contested", m.contested);
      g.setAttribute("data-color", m.color);
      marker.setAttribute("fill", m.color);
      marker.innerHTML = m.inner;
      var title = g.querySelector("title");
      if (title) title.textContent = m.title;
    });
  }

  function drawLabels(set) {
    Object.keys(set).forEach(function (layer) {
      var g = svg.querySelector('g.labels[data-layer="' + layer + '"]');
      if (g) g.innerHTML = data.label_texts[set[layer]];
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
    summary.textContent = step.summary;
    data.order.forEach(function (id, k) { drawPlace(id, data.marks[step.marks[k]]); });
    drawLabels(data.label_sets[step.labels]);
    drawChanges(step);
  }

  // The last stop at or before a time: for tests and for links like page.html#2024-12-07T21:30. A time
  // without an offset is in the log's zone, as everywhere in Chrono: it is compared with the stops'
  // own local times (each stop's "t" is in that zone), never read in the browser's zone.
  function stepAt(isoTime) {
    var local = /^(\d{4}-\d\d-\d\d)(?:T(\d\d)(?::(\d\d)(?::(\d\d))?)?)?$/.exec(isoTime), best = 0;
    if (local) {
      var key = local[1] + "T" + (local[2] || "00") + ":" + (local[3] || "00") + ":" + (local[4] || "00");
      data.steps.forEach(function (s, i) { if (s.t.slice(0, 19) <= key) best = i; });
    } else {
      var t = Date.parse(isoTime);
      data.steps.forEach(function (s, i) { if (Date.parse(s.t) <= t) best = i; });
    }
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
