"""``--html report.html``: one self-contained file (inline CSS, script and data; no network) with per-model totals,
the matrix rows × models, filters (failed only, by failing assertion, text) and a row's outputs side by side with
every assertion's reason."""

from __future__ import annotations

import html
import json
import os
from typing import Any

from app.evals.results import ModelSummary


def _json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element (no closing tag, no HTML comment openers)."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(
    title: str,
    models: list[str],
    records: list[dict[str, Any]],
    summaries: list[ModelSummary],
    threshold: float,
    changes: dict[str, str] | None = None,
) -> str:
    """The report as a string."""
    data = {
        "title": title,
        "models": models,
        "threshold": threshold,
        "changes": changes or {},
        "summaries": [
            {
                "model": s.model,
                "runs": s.runs,
                "passed": s.passed,
                "errors": s.errors,
                "pass_rate": s.pass_rate,
                "mean_score": s.mean_score,
                "cost": s.cost,
                "tokens": s.tokens,
                "p50_ms": s.p50_ms,
                "p95_ms": s.p95_ms,
            }
            for s in summaries
        ],
        "records": [{k: v for k, v in r.items() if k != "cassette_text"} for r in records],
    }
    return _TEMPLATE.replace("__TITLE__", html.escape(title)).replace("__DATA__", _json_for_script(data))


def write_html(
    path: str,
    title: str,
    models: list[str],
    records: list[dict[str, Any]],
    summaries: list[ModelSummary],
    threshold: float,
    changes: dict[str, str] | None = None,
) -> None:
    """Write the report atomically."""
    text = render_html(title, models, records, summaries, threshold, changes)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


_TEMPLATE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ — eval report</title>
<style>
:root { --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --bg:#fff; --fg:#1f2328; --muted:#656d76; --line:#d0d7de;
        --okbg:#dafbe1; --badbg:#ffebe9; --sel:#ddf4ff; }
@media (prefers-color-scheme: dark) { :root { --bg:#0d1117; --fg:#e6edf3; --muted:#8d96a0; --line:#30363d;
        --okbg:#12361f; --badbg:#3d1418; --sel:#11304f; --ok:#3fb950; --bad:#f85149; } }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; padding: 16px 24px; background: var(--bg); color: var(--fg); }
h1 { font-size: 20px; margin: 0 0 12px; } h2 { font-size: 16px; margin: 20px 0 8px; }
table { border-collapse: collapse; } th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left;
        vertical-align: top; } th { background: color-mix(in srgb, var(--line) 35%, var(--bg)); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: var(--ok); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; }
.cell { cursor: pointer; min-width: 120px; } .cell.p { background: var(--okbg); } .cell.f { background: var(--badbg); }
tr.sel td { outline: 2px solid #0969da; outline-offset: -2px; }
.input { max-width: 360px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--muted); }
.bar { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
#detail { margin-top: 16px; } .cols { display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
pre { white-space: pre-wrap; word-break: break-word; margin: 4px 0; font: 12px/1.4 ui-monospace, monospace;
      background: color-mix(in srgb, var(--line) 25%, var(--bg)); padding: 6px; border-radius: 4px; max-height: 320px; overflow: auto; }
.asr { margin: 2px 0; } .chg { font-size: 11px; color: var(--warn); margin-left: 4px; } .muted { color: var(--muted); }
</style></head>
<body>
<h1>__TITLE__</h1>
<div id="verdict"></div>
<h2>Per model</h2>
<table id="totals"><thead><tr><th>model</th><th>runs</th><th>pass rate</th><th>mean score</th><th>errors</th>
<th>cost (USD)</th><th>tokens</th><th>p50 ms</th><th>p95 ms</th></tr></thead><tbody></tbody></table>
<h2>Matrix</h2>
<div class="bar">
  <label><input type="checkbox" id="failedOnly"> failed only</label>
  <label>assertion <select id="byAssertion"><option value="">any</option></select></label>
  <label>search <input type="search" id="search" placeholder="input or output text"></label>
  <span id="shown" class="muted"></span>
</div>
<table id="matrix"><thead></thead><tbody></tbody></table>
<div id="detail"></div>
<script type="application/json" id="data">__DATA__</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const esc = s => String(s).replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"})[c]);
const text = v => v === null || v === undefined ? "" : (typeof v === "string" ? v : JSON.stringify(v, null, 2));
const pct = x => (100 * x).toFixed(1) + "%";
const byRow = new Map();
for (const r of D.records) {
  if (!byRow.has(r.row)) byRow.set(r.row, {row: r.row, input: r.input, cells: {}});
  (byRow.get(r.row).cells[r.model] ||= []).push(r);
}
const rows = [...byRow.values()].sort((a, b) => a.row - b.row);
const verdictOk = D.summaries.every(s => s.pass_rate >= D.threshold);
document.getElementById("verdict").innerHTML = `<span class="${verdictOk ? "pass" : "fail"}">${verdictOk ? "PASS" : "FAIL"}</span>`
  + ` <span class="muted">threshold ${pct(D.threshold)} per model · ${D.records.length} results · ${rows.length} rows</span>`;
document.querySelector("#totals tbody").innerHTML = D.summaries.map(s => `<tr><td>${esc(s.model)}</td>
  <td class="num">${s.runs}</td><td class="num ${s.pass_rate >= D.threshold ? "pass" : "fail"}">${pct(s.pass_rate)}</td>
  <td class="num">${s.mean_score.toFixed(3)}</td><td class="num">${s.errors}</td><td class="num">${s.cost.toFixed(6)}</td>
  <td class="num">${s.tokens}</td><td class="num">${s.p50_ms.toFixed(0)}</td><td class="num">${s.p95_ms.toFixed(0)}</td></tr>`).join("");
const names = [...new Set(D.records.flatMap(r => (r.assertions || []).map(a => a.name)))].sort();
document.getElementById("byAssertion").innerHTML += names.map(n => `<option>${esc(n)}</option>`).join("");
document.querySelector("#matrix thead").innerHTML = `<tr><th>#</th><th>input</th>${D.models.map(m => `<th>${esc(m)}</th>`).join("")}</tr>`;
let selected = null;
function cellPass(rs) { return rs.every(r => r.pass); }
function visible(row) {
  const failedOnly = document.getElementById("failedOnly").checked;
  const name = document.getElementById("byAssertion").value;
  const q = document.getElementById("search").value.toLowerCase();
  const all = Object.values(row.cells).flat();
  if (failedOnly && all.every(r => r.pass)) return false;
  if (name && !all.some(r => (r.assertions || []).some(a => a.name === name && !a.pass))) return false;
  if (q && !(text(row.input) + all.map(r => text(r.output)).join(" ")).toLowerCase().includes(q)) return false;
  return true;
}
function draw() {
  const shown = rows.filter(visible);
  document.getElementById("shown").textContent = `${shown.length} of ${rows.length} rows`;
  document.querySelector("#matrix tbody").innerHTML = shown.map(row => `<tr data-row="${row.row}" class="${row.row === selected ? "sel" : ""}">
    <td class="num">${row.row}</td><td class="input" title="${esc(text(row.input))}">${esc(text(row.input))}</td>
    ${D.models.map(m => { const rs = row.cells[m]; if (!rs) return "<td class=muted>—</td>";
      const ok = cellPass(rs); const score = rs.reduce((s, r) => s + r.score, 0) / rs.length;
      const chg = rs.map(r => D.changes[`${r.row}|${r.model}|${r.repeat}`]).filter(Boolean)[0];
      return `<td class="cell ${ok ? "p" : "f"}" data-row="${row.row}"><span class="${ok ? "pass" : "fail"}">${ok ? "pass" : "FAIL"}</span>
        ${score.toFixed(2)}${rs.length > 1 ? ` <span class=muted>(${rs.filter(r => r.pass).length}/${rs.length})</span>` : ""}${chg ? `<span class="chg">${esc(chg)}</span>` : ""}</td>`; }).join("")}</tr>`).join("");
}
function detail(rowIndex) {
  selected = rowIndex; draw();
  const row = byRow.get(rowIndex);
  const cards = D.models.flatMap(m => (row.cells[m] || []).map(r => `<div class="card"><b>${esc(m)}</b>${r.repeat ? ` · repeat ${r.repeat}` : ""}
    · <span class="${r.pass ? "pass" : "fail"}">${r.pass ? "pass" : "FAIL"}</span> · score ${r.score.toFixed(3)}
    <div class="muted">${r.latency_ms.toFixed(0)} ms · ${r.tokens} tokens · $${r.cost.toFixed(6)}${r.cassette ? ` · cassette ${esc(r.cassette)}` : ""}</div>
    ${r.error ? `<pre class="fail">${esc(r.error.code)}: ${esc(r.error.message)}</pre>` : `<pre>${esc(text(r.output))}</pre>`}
    ${(r.assertions || []).map(a => `<div class="asr"><span class="${a.pass ? "pass" : "fail"}">${a.pass ? "✓" : "✗"}</span>
      <b>${esc(a.name)}</b> <span class="muted">${a.score.toFixed(2)}${a.weight !== 1 ? ` ×${a.weight}` : ""}</span> — ${esc(a.reason)}</div>`).join("")}
    ${(r.calls || []).length ? `<div class="muted">tools: ${r.calls.map(c => esc(c.name)).join(", ")}</div>` : ""}</div>`));
  document.getElementById("detail").innerHTML = `<h2>Row ${rowIndex}</h2><pre>${esc(text(row.input))}</pre><div class="cols">${cards.join("")}</div>`;
}
for (const id of ["failedOnly", "byAssertion", "search"]) document.getElementById(id).addEventListener("input", draw);
document.querySelector("#matrix tbody").addEventListener("click", e => { const tr = e.target.closest("tr[data-row]");
  if (tr) detail(Number(tr.dataset.row)); });
draw();
if (rows.length) detail((rows.find(r => Object.values(r.cells).flat().some(x => !x.pass)) || rows[0]).row);
</script>
</body></html>
"""
