/* loglake pages: draw charts, open log entries in a dialog, upload files. No inline code:
   the Content-Security-Policy allows scripts from this server only. */
(function () {
  "use strict";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /* ---- time axes in the page's time zone (the header's selector): ECharts shows either
     the browser's zone or UTC, so times are moved to the zone's wall clock, shown as UTC ---- */
  function pageZone() {
    var meta = document.querySelector('meta[name="time-zone"]');
    return meta ? meta.content : "UTC";
  }
  function wallClock(zone) {
    var fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    return function (t) {
      var d = new Date(t);
      if (isNaN(d.getTime())) return t;
      var p = {};
      fmt.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
      return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second, d.getUTCMilliseconds());
    };
  }
  function inZone(option) {
    var axes = [].concat(option.xAxis || []);
    if (!axes.some(function (a) { return a && a.type === "time"; })) return option;
    option.useUTC = true;
    var zone = pageZone();
    if (zone === "UTC") return option;
    var shift;
    try { shift = wallClock(zone); } catch (err) { return option; }  // an unknown zone: UTC
    (option.series || []).forEach(function (s) {
      s.data = (s.data || []).map(function (pt) {
        return Array.isArray(pt) ? [shift(pt[0])].concat(pt.slice(1)) : pt;
      });
    });
    return option;
  }

  /* ---- charts: every [data-chart] element holds an ECharts option as JSON ---- */
  var drawn = [];
  function drawCharts(root) {
    if (!window.echarts) return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      el.style.height = (el.dataset.height || 280) + "px";
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(inZone(JSON.parse(el.dataset.chart)));
      var links = JSON.parse(el.dataset.links || "[]");
      chart.on("click", function (p) {
        var url = Array.isArray(links) ? links[p.dataIndex] : links[p.seriesName];
        if (url) window.location.href = url;
      });
      if (el.dataset.zoom) zoomByDragging(chart, JSON.parse(el.dataset.zoom));
      el.dataset.drawn = "1";
      drawn.push(chart);
    });
    drawn = drawn.filter(function (c) { return !c.isDisposed() && document.body.contains(c.getDom()); });
  }
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });

  /* a histogram: dragging across bars opens the page narrowed to their time range (from the
     first bar's start to the end of the last), the rest of the URL unchanged */
  function zoomByDragging(chart, zoom) {
    chart.dispatchAction({ type: "takeGlobalCursor", key: "brush", brushOption: { brushType: "lineX", brushMode: "single" } });
    chart.on("brushEnd", function (p) {
      var area = p.areas && p.areas[0];
      if (!area || !area.coordRange) return;
      var first = Math.max(0, Math.min(area.coordRange[0], area.coordRange[1]));
      var last = Math.min(zoom.starts.length - 1, Math.max(area.coordRange[0], area.coordRange[1]));
      if (last < first) return;
      var end = new Date(Date.parse(zoom.starts[last]) + zoom.seconds * 1000);
      var url = new URL(window.location.href);
      url.searchParams.set("from", zoom.starts[first]);
      url.searchParams.set("to", end.toISOString().replace(".000Z", "Z"));
      ["cursor", "date", "offset"].forEach(function (k) { url.searchParams.delete(k); });
      window.location.href = url.toString();
    });
  }

  /* Discover: a record's row opens its parsed fields and, read once, its raw entry */
  function expand(button) {
    var detail = button.closest("tbody").querySelector("tr.detail");
    var open = detail.hidden;
    detail.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "▾" : "▸";
    var raw = detail.querySelector("[data-raw-url]");
    if (open && raw && !raw.dataset.loaded) {
      raw.dataset.loaded = "1";
      fetch(raw.dataset.rawUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (r) { raw.textContent = r.ok ? (r.body.pretty || r.body.raw) : (r.body.error || "not found"); })
        .catch(function () { raw.textContent = "The raw entry could not be read."; });
    }
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-expand]");
    if (button) expand(button);
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-autosubmit]")) e.target.form.submit();
  });

  function shareBars(root) {
    (root || document).querySelectorAll(".bar[data-share]").forEach(function (el) {
      el.style.width = Math.max(0, Math.min(1, parseFloat(el.dataset.share) || 0)) * 60 + "px";
    });
  }

  /* ---- the log-entry dialog ---- */
  function modal() { return document.getElementById("modal"); }
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t.closest && t.closest("[data-close-modal]")) modal().close();
    if (t === modal()) modal().close();  // a click on the backdrop
    var copy = t.closest && t.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.dataset.copy).then(function () {
        copy.textContent = "Copied";
      });
    }
  });

  document.addEventListener("keydown", function (e) {
    /* Enter on a focused table row opens it, as a click does */
    if (e.key === "Enter" && e.target.matches && e.target.matches("tr[hx-get]")) e.target.click();
  });

  document.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.target && e.detail.target.id === "modal-body") {
      e.detail.target.innerHTML = '<p class="loading">Reading the log…</p>';
      if (!modal().open) modal().showModal();
    }
  });
  document.addEventListener("htmx:responseError", function (e) {
    var target = e.detail.target;
    if (target && target.id === "modal-body") {
      target.innerHTML = e.detail.xhr.responseText;  /* our own escaped error fragment */
    } else if (target) {
      target.insertAdjacentHTML("afterbegin", '<div class="alert" role="alert"></div>');
      target.firstChild.textContent = "Request failed (" + e.detail.xhr.status + ")";
    }
  });
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    drawCharts(e.detail.target);
    shareBars(e.detail.target);
  });

  /* ---- uploads: stream each file, then follow the ingest ---- */
  function newBatch() {
    var bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function step(list, text) {
    var li = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = text;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    var note = document.createElement("small");
    li.append(label, bar, note);
    list.appendChild(li);
    return { bar: bar, note: note, li: li };
  }

  function sendFile(box, batch, file, row) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/uploads?batch=" + batch + "&name=" + encodeURIComponent(file.name));
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          row.bar.value = (100 * e.loaded) / e.total;
          row.note.textContent = (e.loaded / 1048576).toFixed(1) + " of " + (e.total / 1048576).toFixed(1) + " MB";
        }
      };
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
        if (xhr.status === 200) { row.bar.value = 100; row.li.classList.add("ok"); resolve(body); }
        else reject(new Error(file.name + ": " + (body.error || "upload failed (" + xhr.status + ")")));
      };
      xhr.onerror = function () { reject(new Error(file.name + ": the connection failed")); };
      xhr.send(file);
    });
  }

  function followJob(box, job, row) {
    return new Promise(function (resolve, reject) {
      function poll() {
        fetch("/api/ingest/" + job, { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (s) {
            row.bar.value = s.percent || 0;
            row.note.textContent = s.phase + (s.total ? " · " + (s.done / 1048576).toFixed(1) + " of " + (s.total / 1048576).toFixed(1) + " MB" : "");
            if (s.state === "done") { row.li.classList.add("ok"); resolve(s); }
            else if (s.state === "failed") reject(new Error(s.error || "the ingest failed"));
            else window.setTimeout(poll, 400);
          })
          .catch(reject);
      }
      poll();
    });
  }

  async function uploadFiles(box, files) {
    var list = document.getElementById("upload-steps");
    var error = document.getElementById("upload-error");
    var done = document.getElementById("upload-done");
    var limit = parseFloat(box.dataset.maxMb) * 1048576;
    var batch = box.dataset.batch;
    box.dataset.batch = newBatch();  // the next drop is a new batch
    error.hidden = true;
    done.hidden = true;
    list.innerHTML = "";
    try {
      for (var i = 0; i < files.length; i++) {
        if (files[i].size > limit) throw new Error(files[i].name + " is larger than the upload limit of " + box.dataset.maxMb + " MB");
      }
      for (var j = 0; j < files.length; j++) {
        await sendFile(box, batch, files[j], step(list, "Uploading " + files[j].name));
      }
      var row = step(list, "Ingesting");
      var r = await fetch("/api/ingest", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify({ batch: batch, replace: box.dataset.replace === "true" }),
      });
      var started = await r.json();
      if (!r.ok) throw new Error(started.error || "could not start the ingest");
      var result = await followJob(box, started.job, row);
      var rows = result.report ? result.report.rows : {};
      row.note.textContent = (rows.slow_queries || 0).toLocaleString() + " slow queries, " + (rows.events || 0).toLocaleString() + " lines";
      done.hidden = false;
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  }

  function setupUpload(root) {
    var box = (root || document).querySelector("#uploader");
    if (!box || box.dataset.ready) return;
    box.dataset.ready = "1";
    var zone = box.querySelector("#dropzone");
    var input = box.querySelector("#upload-files");
    input.addEventListener("change", function () { if (input.files.length) uploadFiles(box, Array.from(input.files)); });
    ["dragenter", "dragover"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer.files.length) uploadFiles(box, Array.from(e.dataTransfer.files));
    });
  }

  function init() {
    drawCharts(document);
    shareBars(document);
    setupUpload(document);
  }
  document.addEventListener("htmx:afterSettle", function (e) { setupUpload(e.detail.target); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
