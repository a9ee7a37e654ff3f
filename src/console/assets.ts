/**
 * The console's only static assets, served by the node itself (no CDN): one style sheet and one
 * small script. The pages work without the script; it adds live refresh and table filtering.
 */

export const CONSOLE_CSS = `
:root { --fg:#1b1f23; --muted:#57606a; --line:#d0d7de; --bg:#fff; --band:#f6f8fa; --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --accent:#0550ae; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; align-items:center; gap:1.5rem; padding:.5rem 1rem; background:#24292f; color:#fff; }
header a { color:#fff; text-decoration:none; padding:.25rem .5rem; border-radius:4px; }
header a[aria-current="page"] { background:#57606a; }
header a:focus-visible, a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline:3px solid #ffb000; outline-offset:1px; }
.brand { font-weight:700; }
.who { margin-left:auto; display:flex; gap:.5rem; align-items:center; }
.who a { color:#fff; }
.skip { position:absolute; left:-999px; } .skip:focus { left:.5rem; top:.5rem; background:#fff; color:#000; padding:.25rem; z-index:10; }
main { padding: .75rem 1rem 2rem; max-width: 1340px; }
h1 { font-size:1.35rem; margin:.25rem 0 .75rem; word-break:break-all; }
h2 { font-size:1.1rem; margin:1.25rem 0 .5rem; border-bottom:1px solid var(--line); padding-bottom:.2rem; }
h3 { font-size:1rem; margin:1rem 0 .4rem; }
table { border-collapse:collapse; width:100%; margin:.25rem 0 .75rem; }
th, td { border-bottom:1px solid var(--line); padding:.25rem .5rem; text-align:left; vertical-align:top; }
th { background:var(--band); position:sticky; top:0; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
.uid { font-family: "DejaVu Sans Mono", monospace; font-size:12px; word-break:break-all; }
.cards { display:grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap:.6rem; }
.card { border:1px solid var(--line); border-radius:6px; padding:.5rem .75rem; background:var(--band); }
.card .n { font-size:1.5rem; font-weight:700; }
.ok { color:var(--ok); } .bad { color:var(--bad); } .warn { color:var(--warn); }
.state { display:inline-block; padding:0 .4rem; border-radius:10px; background:#eaeef2; font-size:12px; }
.state-done, .state-sent { background:#dafbe1; } .state-failed { background:#ffebe9; } .state-processing, .state-sending { background:#ddf4ff; } .state-waiting { background:#fff8c5; }
.banner { margin:0; padding:.5rem 1rem; background:#fff8c5; border-bottom:1px solid #d4a72c; }
.flash { margin:.5rem 1rem 0; padding:.5rem .75rem; border-radius:4px; }
.flash.ok { background:#dafbe1; } .flash.error { background:#ffebe9; }
form.inline { display:inline; margin:0; }
button { font:inherit; padding:.2rem .6rem; border:1px solid #8c959f; border-radius:4px; background:#f6f8fa; cursor:pointer; }
button:hover { background:#eaeef2; }
input, select { font:inherit; padding:.2rem .4rem; border:1px solid #8c959f; border-radius:4px; }
.lesion { display:grid; grid-template-columns: 400px 1fr; gap:1rem; border:1px solid var(--line); border-radius:6px; padding:.75rem; margin:.75rem 0; }
.lesion > * { min-width:0; }
.lesion img { width:400px; height:auto; max-height:520px; object-fit:contain; background:#000; border-radius:4px; display:block; }
dl.facts { display:grid; grid-template-columns: max-content 1fr; gap:.15rem .75rem; margin:0; }
dl.facts dt { color:var(--muted); }
.scroll { max-height: 420px; overflow:auto; border:1px solid var(--line); }
.muted { color:var(--muted); }
.live-note { color:var(--muted); font-size:12px; }
`;

export const CONSOLE_JS = `
(function () {
  // Live regions: <div data-live="/fragments/overview" data-interval="2"> is refreshed in place.
  document.querySelectorAll('[data-live]').forEach(function (el) {
    var url = el.getAttribute('data-live');
    var every = Math.max(1, Number(el.getAttribute('data-interval') || 2)) * 1000;
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
        .then(function (t) {
          el.innerHTML = t;
          el.setAttribute('data-refreshed', new Date().toISOString());
          var note = document.getElementById('live-status');
          if (note) note.textContent = '';
        })
        .catch(function (e) {
          el.setAttribute('data-refresh-error', new Date().toISOString());
          var note = document.getElementById('live-status');
          if (note) note.textContent = String(e.message) === '401' ? 'Your session has ended: reload the page to log in again.' : 'The node did not answer the last refresh; retrying.';
        })
        .then(function () { busy = false; });
    }, every);
  });
  // Table filters: <input data-filter="tableId"> hides the rows that do not contain the text.
  document.querySelectorAll('input[data-filter]').forEach(function (input) {
    var table = document.getElementById(input.getAttribute('data-filter'));
    if (!table) return;
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      var shown = 0;
      table.querySelectorAll('tbody tr').forEach(function (tr) {
        var hit = q === '' || tr.textContent.toLowerCase().indexOf(q) >= 0;
        tr.hidden = !hit;
        if (hit) shown++;
      });
      var count = document.getElementById(input.getAttribute('data-filter') + '-count');
      if (count) count.textContent = String(shown);
    });
  });
})();
`;
