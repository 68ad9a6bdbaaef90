// The timeline page: lanes of events over their whole windows, filters by actor and type, sources on click.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chrono-data").textContent);
  var byId = {};
  data.events.forEach(function (e) { byId[e.id] = e; });
  var colors = {};
  data.actors.forEach(function (a) { colors[a.id] = a.color; });
  var lo = data.range[0], hi = data.range[1];
  var ROW = 18, WIDTH = 1400;

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function x(t) { return (t - lo) / (hi - lo) * WIDTH; }

  function checkboxes(containerId, kind, items) {
    var box = document.getElementById(containerId);
    items.forEach(function (it) {
      var label = document.createElement("label");
      label.innerHTML = '<input type="checkbox" checked data-' + kind + '="' + esc(it.id) + '"> ' +
        (it.color ? '<span class="swatch" style="background:' + it.color + '"></span>' : "") + esc(it.name);
      box.appendChild(label);
    });
  }
  checkboxes("actor-filter", "actor", data.actors.concat([{id: "", name: "(no actor)"}]));
  checkboxes("type-filter", "type", data.types.map(function (t) { return {id: t, name: t}; }));

  function chosen(kind) {
    var out = {};
    document.querySelectorAll("input[data-" + kind + "]").forEach(function (i) { if (i.checked) out[i.getAttribute("data-" + kind)] = true; });
    return out;
  }
  function visible(e, actors, types) {
    if (!types[e.type]) return false;
    if (!e.actors.length) return !!actors[""];
    return e.actors.some(function (a) { return actors[a]; });
  }

  function drawAxis() {
    var axis = document.getElementById("axis");
    axis.style.width = WIDTH + "px";
    axis.innerHTML = data.ticks.map(function (t) {
      return '<div class="tick" style="left:' + x(t.at).toFixed(1) + 'px">' + esc(t.label) + "</div>";
    }).join("");
  }

  // Each bar carries its event's text: inside the bar where it fits, else running on past its end
  // (or, at the right edge, ending at the bar's end). Bars are packed into rows by the room their
  // text takes too, so no text covers another bar or text.
  var LABEL_MAX = 60, LABEL_PAD = 6;
  var measure = document.createElement("canvas").getContext("2d");
  function labelText(e) {
    return e.summary.length > LABEL_MAX ? e.summary.slice(0, LABEL_MAX - 1) + "…" : e.summary;
  }
  function textWidth(text) {
    measure.font = getComputedStyle(document.body).getPropertyValue("--bar-font").trim() || "10.5px sans-serif";
    return Math.ceil(measure.measureText(text).width) + LABEL_PAD;
  }

  function draw() {
    var actors = chosen("actor"), types = chosen("type");
    var out = [];
    data.lanes.forEach(function (lane) {
      var evs = lane.events.map(function (id) { return byId[id]; }).filter(function (e) { return visible(e, actors, types); });
      if (!evs.length) return;
      var rows = [], bars = [];
      evs.forEach(function (e) {
        var left = Math.max(0, x(e.lo)), right = Math.min(WIDTH, x(e.hi));
        right = Math.max(right, left + 4);
        var text = labelText(e), w = textWidth(text);
        var from = left, to = Math.max(right, left + w), inside = right - left >= w;
        if (to > WIDTH) { from = Math.min(left, right - w); to = right; }
        var r = 0;
        while ((rows[r] || []).some(function (span) { return span[0] < to + 2 && from < span[1] + 2; })) r++;
        (rows[r] = rows[r] || []).push([from, to]);
        var colour = e.actors.length ? colors[e.actors[0]] : "#bbb";  // (every actor has its colour in data.actors)
        var cls = "ev" + (x(e.lo) < 0 ? " clipped-left" : "") + (x(e.hi) > WIDTH ? " clipped-right" : "");
        var labelLeft = from - left;
        bars.push('<div class="' + cls + '" data-event="' + esc(e.id) + '" data-type="' + esc(e.type) + '" data-actors="' + esc(e.actors.join(" ")) +
          '" title="' + esc(e.summary + " — " + (e.when || "")) + '" style="left:' + left.toFixed(1) + "px;width:" + (right - left).toFixed(1) +
          "px;top:" + (r * ROW + 2) + "px;background:" + colour + '"><span class="ev-label' + (inside ? " inside" : "") +
          '" style="left:' + labelLeft.toFixed(1) + 'px">' + esc(text) + "</span></div>");
      });
      out.push('<div class="lane" data-lane="' + esc(lane.id) + '" data-kind="' + lane.kind + '"><div class="lane-name" title="' + esc(lane.name) + '">' +
        esc(lane.name) + ' <span class="kind">' + lane.kind + '</span></div><div class="track" style="width:' + WIDTH + "px;height:" +
        (rows.length * ROW + 4) + 'px">' + bars.join("") + "</div></div>");
    });
    document.getElementById("lanes").innerHTML = out.join("") || '<p class="empty">No event matches the filters.</p>';
  }

  function showEvent(id) {
    var e = byId[id];
    if (!e) return;
    document.querySelectorAll(".ev.selected").forEach(function (el) { el.classList.remove("selected"); });
    document.querySelectorAll('.ev[data-event="' + CSS.escape(id) + '"]').forEach(function (el) { el.classList.add("selected"); });
    var html = '<div class="event-detail" data-event="' + esc(e.id) + '"><p class="what"><b>' + esc(e.summary) + "</b></p>" +
      '<p><span class="badge">' + esc(e.type) + '</span><span class="event-id">' + esc(e.id) + "</span></p>" +
      "<p>" + esc(e.when) + "<br><small>" + esc(e.earliest) + " – " + esc(e.latest) + "</small>" +
      (e.wording ? "<br>the source's words: “" + esc(e.wording) + "”" : "") + "</p><h3>Sources</h3>";
    html += e.sources.length ? e.sources.map(function (s) {
      return '<div class="source"><b>' + esc(s.outlet) + "</b>" + (s.attribution && s.attribution !== s.outlet ? ", " + esc(s.attribution) : "") +
        (s.title ? " — " + esc(s.title) : "") + (s.quote ? '<blockquote class="excerpt">' + esc(s.quote) + "</blockquote>" : "") + "</div>";
    }).join("") : '<p class="empty">No source recorded.</p>';
    if (e.corrected_by.length) html += "<p>As corrected by " + esc(e.corrected_by.join(", ")) + "</p>";
    document.getElementById("detail").innerHTML = html + "</div>";
  }

  document.getElementById("lanes").addEventListener("click", function (ev) {
    var bar = ev.target.closest(".ev");
    if (bar) showEvent(bar.getAttribute("data-event"));
  });
  document.getElementById("filters").addEventListener("change", draw);
  document.getElementById("filters").addEventListener("click", function (ev) {
    var kind = ev.target.getAttribute("data-all") || ev.target.getAttribute("data-none");
    if (!kind) return;
    var on = ev.target.hasAttribute("data-all");
    document.querySelectorAll("input[data-" + kind + "]").forEach(function (i) { i.checked = on; });
    draw();
  });
  window.chronoShowEvent = showEvent;
  drawAxis();
  draw();
})();
