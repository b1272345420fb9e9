/**
 * The status page served at `/` for a technician's browser on the vehicle: one self-contained
 * HTML document (inline style and script, no external assets, no build step) that fetches
 * `/status` every few seconds and shows the figures, the files in flight and retrying, the last
 * errors, disk usage, the deletion figures and health, and the link policy's part (link and last probe, cellular budget,
 * bandwidth in force, queue by priority) when the report has it. Every value is inserted as text (textContent), never as HTML,
 * so a hostile file name cannot inject markup.
 */

export const PAGE_REFRESH_MS = 3000;

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tvm-upload status</title>
<noscript><meta http-equiv="refresh" content="10;url=/status"></noscript>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem 2rem; color: #222; background: #fafafa; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
  .sub { color: #666; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .5rem; }
  .card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .5rem .7rem; }
  .card b { display: block; font-size: 1.4rem; }
  .ok { color: #17602a; } .bad { color: #a31515; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  td, th { border: 1px solid #ddd; padding: .2rem .4rem; text-align: left; font-size: 13px; word-break: break-all; }
  .empty { color: #888; font-style: italic; }
</style>
</head>
<body>
<h1>tvm-upload <span id="vehicle"></span></h1>
<div class="sub">daemon: <span id="daemon">…</span> · health: <span id="health">…</span> · updated <span id="updated">never</span></div>
<ul id="degraded"></ul>
<div class="grid">
  <div class="card">queued<b id="queued">–</b></div>
  <div class="card">in flight<b id="inFlight">–</b></div>
  <div class="card">pending<b id="bytesPending">–</b></div>
  <div class="card">oldest waiting<b id="oldest">–</b></div>
  <div class="card">uploads, 24 h<b id="uploads24">–</b></div>
  <div class="card">bytes, 24 h<b id="bytes24">–</b></div>
  <div class="card">failed attempts, 24 h<b id="failures24">–</b></div>
  <div class="card">in registry<b id="uploaded">–</b></div>
</div>
<section id="linkpolicy" hidden>
<h2>Link, budget and priorities</h2>
<div class="grid">
  <div class="card">link<b id="link">–</b><span id="linkIface" class="sub"></span></div>
  <div class="card">sending<b id="restriction">–</b></div>
  <div class="card">bandwidth<b id="bandwidth">–</b></div>
  <div class="card">cellular used<b id="cellUsed">–</b><span id="cellMonth" class="sub"></span></div>
  <div class="card">cellular left<b id="cellLeft">–</b><span id="cellLimit" class="sub"></span></div>
  <div class="card">budget level<b id="cellLevel">–</b></div>
</div>
<div class="sub">last probe: <span id="probe">–</span> <span id="probeError" class="bad"></span></div>
<table id="priorities"></table>
</section>
<h2>In flight</h2><table id="inflight"></table>
<h2>Queue (oldest first)</h2><table id="queue"></table>
<h2>Retrying</h2><table id="retrying"></table>
<h2>Last error per class</h2><table id="errors"></table>
<h2>Disk</h2><table id="disk"></table>
<div class="sub">deletion: <span id="deletion">–</span></div>
<script>
(function () {
  var REFRESH = ${PAGE_REFRESH_MS};
  function $(id) { return document.getElementById(id); }
  function bytes(n) {
    if (n === null || n === undefined) return '?';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + u[i];
  }
  function age(s) {
    if (s === null || s === undefined) return '–';
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    if (s < 86400) return (s / 3600).toFixed(1) + ' h';
    return (s / 86400).toFixed(1) + ' d';
  }
  function table(el, head, rows) {
    el.textContent = '';
    if (rows.length === 0) {
      var r0 = el.insertRow(); var c0 = r0.insertCell(); c0.textContent = 'none'; c0.className = 'empty';
      return;
    }
    var h = el.insertRow();
    head.forEach(function (t) { var th = document.createElement('th'); th.textContent = t; h.appendChild(th); });
    rows.forEach(function (cells) {
      var r = el.insertRow();
      cells.forEach(function (t) { r.insertCell().textContent = String(t); });
    });
  }
  function render(s) {
    $('vehicle').textContent = s.vehicleId;
    $('daemon').textContent = s.daemon;
    var healthy = s.degraded.length === 0;
    $('health').textContent = healthy ? 'ok' : 'DEGRADED';
    $('health').className = healthy ? 'ok' : 'bad';
    var ul = $('degraded'); ul.textContent = '';
    s.degraded.forEach(function (d) { var li = document.createElement('li'); li.className = 'bad'; li.textContent = d.key + ': ' + d.message; ul.appendChild(li); });
    $('queued').textContent = s.queued;
    $('inFlight').textContent = s.inFlight;
    $('bytesPending').textContent = bytes(s.bytesPending);
    $('oldest').textContent = age(s.oldestPendingAgeSeconds);
    $('uploads24').textContent = s.last24h.uploads;
    $('bytes24').textContent = bytes(s.last24h.bytes);
    $('failures24').textContent = s.last24h.failures;
    $('uploaded').textContent = s.uploaded;
    table($('inflight'), ['file', 'size', 'confirmed'], s.inFlightFiles.map(function (f) { return [f.path, bytes(f.size), bytes(f.bytesConfirmed)]; }));
    table($('queue'), ['file', 'size', 'queued at'], s.queueHead.map(function (f) { return [f.path, bytes(f.size), f.queuedAt]; }));
    table($('retrying'), ['file', 'attempts', 'error', 'next try'], s.retrying.map(function (f) { return [f.path, f.attempts, (f.code || '') + ': ' + (f.error || ''), f.nextAttemptAt]; }));
    table($('errors'), ['class', 'when', 'file', 'message'], s.lastErrors.map(function (e) { return [e.code, new Date(e.at).toISOString(), e.path, e.message]; }));
    table($('disk'), ['holds', 'used', 'free'], s.disk.map(function (d) { return [d.holds.join(', '), d.usedPercent === null ? (d.error || '?') : d.usedPercent + ' %', bytes(d.availableBytes)]; }));
    renderLinkPolicy(s);
    $('deletion').textContent = deletionText(s.deletion);
    $('updated').textContent = new Date().toLocaleTimeString();
    document.body.setAttribute('data-generated-at', s.generatedAt);
  }
  function deletionText(d) {
    if (d === null || d === undefined) return 'not reported';
    if (d.unavailable) return 'unavailable (' + d.unavailable + ')';
    var now = d.deletableNow, p = d.lastPass;
    return 'deletable now ' + now.files + ' files, ' + bytes(now.bytes) + (now.notUploaded > 0 ? ' (' + now.notUploaded + ' NOT uploaded)' : '') +
      '; last pass ' + (p === null ? 'none yet' : new Date(p.at).toISOString() + ' (' + p.trigger + '): ' + p.deleted + ' files, ' + bytes(p.bytes));
  }
  function rate(b) {
    return b === null ? 'unlimited' : ((b * 8) / 1e6).toFixed(2) + ' Mbit/s';
  }
  function renderLinkPolicy(s) {
    var has = function (v) { return v !== null && v !== undefined; };
    var shown = has(s.link) || has(s.cellularBudget) || has(s.bandwidth) || has(s.queueByPriority);
    $('linkpolicy').hidden = !shown;
    if (!shown) return;
    var l = s.link;
    $('link').textContent = has(l) ? l.link : 'not configured';
    $('linkIface').textContent = has(l) && l.iface ? l.iface : '';
    $('restriction').textContent = has(l) ? (l.restriction || 'every priority') : 'every priority';
    $('probe').textContent = has(l) ? (l.lastProbeAt || 'not yet') : '–';
    $('probeError').textContent = has(l) && l.lastProbeError ? 'failed, link kept: ' + l.lastProbeError : '';
    $('bandwidth').textContent = has(s.bandwidth) ? rate(s.bandwidth.bytesPerSecond) : '?';
    var b = s.cellularBudget;
    $('cellUsed').textContent = has(b) ? bytes(b.usedBytes) : '–';
    $('cellMonth').textContent = has(b) ? b.month : '';
    $('cellLeft').textContent = has(b) && b.leftBytes !== null ? bytes(b.leftBytes) : '–';
    $('cellLimit').textContent = has(b) ? (b.limitBytes === null ? 'no budget set' : 'of ' + bytes(b.limitBytes)) : '';
    $('cellLevel').textContent = has(b) ? b.level : '–';
    $('cellLevel').className = has(b) && b.level !== 'ok' ? 'bad' : '';
    var q = s.queueByPriority;
    table($('priorities'), ['priority', 'queued files', 'queued bytes'], has(q) ? ['high', 'normal', 'low'].map(function (p) { return [p, q[p].files, bytes(q[p].bytes)]; }) : []);
  }
  function tick() {
    fetch('/status', { cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(render)
      .catch(function (e) { $('daemon').textContent = 'unreachable (' + e.message + ')'; $('health').textContent = '?'; $('health').className = 'bad'; })
      .then(function () { setTimeout(tick, REFRESH); });
  }
  tick();
})();
</script>
</body>
</html>
`;
