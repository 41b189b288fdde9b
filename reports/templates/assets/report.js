/* report.html behaviour: filters, counts, expand/collapse, print preparation.
   Findings are rendered server-side; this only shows and hides them. */
(function () {
  "use strict";
  var bar = document.getElementById("filters");
  var $ = function (id) { return document.getElementById(id); };
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // Open every <details> for printing and restore afterwards.
  var reopened = [];
  window.addEventListener("beforeprint", function () {
    each(document.querySelectorAll("details.grp:not([open]), details.runs:not([open])"), function (d) { d.open = true; reopened.push(d); });
  });
  window.addEventListener("afterprint", function () {
    reopened.forEach(function (d) { d.open = false; }); reopened = [];
  });
  if (!bar) return;

  var siteSel = $("f-site"), checkSel = $("f-check"), query = $("f-q"), onlyNew = $("f-new");
  var sevBoxes = Array.prototype.slice.call(bar.querySelectorAll(".f-sev"));
  var sites = [], groups = [], recs = [];

  each(document.querySelectorAll("#findings section.site"), function (sec) {
    var site = { el: sec, name: sec.getAttribute("data-site"), vis: sec.querySelector(".site-count .vis"), n: 0, total: 0 };
    sites.push(site);
    each(sec.querySelectorAll("details.grp"), function (g) {
      var grp = { el: g, code: g.getAttribute("data-check"), vis: g.querySelector(".grp-count .vis"), n: 0, total: 0, site: site,
                  chip: sec.querySelector('.toc a[href="#' + g.id + '"]') };
      if (grp.chip) grp.chip = grp.chip.parentNode;
      groups.push(grp);
      each(g.querySelectorAll("li.f"), function (li) {
        recs.push({ el: li, site: site, grp: grp, sev: li.getAttribute("data-sev"),
                    status: li.getAttribute("data-status") || "", text: null, shown: true });
        grp.total++; site.total++;
      });
    });
  });

  function textOf(r) {
    if (r.text === null) {
      var parts = [];
      each(r.el.querySelectorAll(".f-msg, .f-url, .f-page, .f-anchor"), function (e) { parts.push(e.textContent); });
      r.text = parts.join("\n").toLowerCase();
    }
    return r.text;
  }

  function label(opt, n) {
    var base = opt.getAttribute("data-label");
    if (base !== null) opt.textContent = base + "（" + n + "）";
  }

  function apply() {
    var site = siteSel.value, code = checkSel.value;
    var terms = query.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var newOnly = !!(onlyNew && onlyNew.checked);
    var sevOn = {};
    sevBoxes.forEach(function (b) { sevOn[b.value] = b.checked; });
    var nSev = {}, nSite = {}, nCheck = {}, shown = 0;
    groups.forEach(function (g) { g.n = 0; });
    sites.forEach(function (s) { s.n = 0; });

    recs.forEach(function (r) {
      var mSite = !site || r.site.name === site;
      var mCheck = !code || r.grp.code === code;
      var mSev = sevOn[r.sev] !== false;
      var mBase = (!newOnly || r.status === "new" || r.status === "reopened") &&
                  (!terms.length || terms.every(function (t) { return textOf(r).indexOf(t) >= 0; }));
      if (mBase && mSite && mCheck) nSev[r.sev] = (nSev[r.sev] || 0) + 1;
      if (mBase && mCheck && mSev) nSite[r.site.name] = (nSite[r.site.name] || 0) + 1;
      if (mBase && mSite && mSev) nCheck[r.grp.code] = (nCheck[r.grp.code] || 0) + 1;
      var vis = mBase && mSite && mCheck && mSev;
      if (vis !== r.shown) { r.el.hidden = !vis; r.shown = vis; }
      if (vis) { shown++; r.grp.n++; r.site.n++; }
    });

    var active = !!(site || code || terms.length || newOnly || sevBoxes.some(function (b) { return !b.checked; }));
    groups.forEach(function (g) {
      g.el.hidden = g.n === 0;
      if (g.chip) g.chip.hidden = g.n === 0;
      g.vis.textContent = g.n === g.total ? g.total : g.n + " / " + g.total;
    });
    sites.forEach(function (s) {
      s.el.hidden = active && s.n === 0;
      if (s.vis) s.vis.textContent = s.n === s.total ? s.total : s.n + " / " + s.total;
    });
    each(bar.querySelectorAll("[data-sev-count]"), function (e) { e.textContent = nSev[e.getAttribute("data-sev-count")] || 0; });
    each(siteSel.options, function (o) { if (o.value) label(o, nSite[o.value] || 0); });
    each(checkSel.options, function (o) { if (o.value) label(o, nCheck[o.value] || 0); });
    $("f-count").textContent = shown;
    $("f-none").hidden = shown > 0;

    var note = $("f-note"), parts = [];
    if (site) parts.push("站点：" + site);
    if (code) parts.push("检查项：" + code);
    var sevOff = sevBoxes.filter(function (b) { return !b.checked; });
    if (sevOff.length) parts.push("不含级别：" + sevOff.map(function (b) { return b.parentNode.querySelector(".badge").textContent; }).join("、"));
    if (terms.length) parts.push("搜索：" + query.value.trim());
    if (newOnly) parts.push("只看新增和复发");
    note.textContent = "本打印件已按筛选条件显示 " + shown + " / " + recs.length + " 条问题（" + parts.join("；") + "）。";
    note.hidden = !active;
  }

  var timer = null;
  function later() { clearTimeout(timer); timer = setTimeout(apply, 150); }

  siteSel.addEventListener("change", apply);
  checkSel.addEventListener("change", apply);
  sevBoxes.forEach(function (b) { b.addEventListener("change", apply); });
  if (onlyNew) onlyNew.addEventListener("change", apply);
  query.addEventListener("input", later);
  query.addEventListener("keydown", function (e) { if (e.key === "Escape") { query.value = ""; apply(); } });
  $("f-reset").addEventListener("click", function () {
    siteSel.value = ""; checkSel.value = ""; query.value = "";
    sevBoxes.forEach(function (b) { b.checked = true; });
    if (onlyNew) onlyNew.checked = false;
    apply();
  });
  $("f-open").addEventListener("click", function () { groups.forEach(function (g) { g.el.open = true; }); });
  $("f-close").addEventListener("click", function () { groups.forEach(function (g) { g.el.open = false; }); });
  // A link to a group (table of contents, #hash) opens it.
  window.addEventListener("hashchange", function () {
    var t = location.hash && document.getElementById(location.hash.slice(1));
    if (t && t.tagName === "DETAILS") t.open = true;
  });

  bar.hidden = false;
  apply();
})();
