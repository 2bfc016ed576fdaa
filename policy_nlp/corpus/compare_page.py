"""The comparison page: one self-contained HTML file comparing annotated reports across regions and years.

`compare_html(records)` returns the page for reviewer-JSON records (dicts): plotly.js (the `plotly` package's
bundle, inlined: no network, no external asset) draws four charts from the reports' data — theme shares per
report grouped by region and year, a report × theme heat map, each theme's share over the years per region
(units of the region's reports pooled), and a chosen indicator over the years per region — which the
region, year and kind filters redraw. Each chart exports as PNG or SVG; each report links to its review page.

Everything the page shows from the files (ids, regions, titles, labels, indicator names) travels as JSON in a
`<script type="application/json">` element (`<`, `>`, `&` escaped, so no text can close it), is written into
the page with `textContent` and passed to plotly with its markup characters escaped as entities. The page's
Content-Security-Policy allows no source at all but its own inline scripts (by SHA-256) and inline styles.
"""
from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path
from typing import Sequence
from urllib.parse import quote

from ..atomic import atomic_write
from ..errors import DataError
from .jsonio import script_json
from .metadata import read_overrides
from .tables import iter_annotated, labels_of, report_columns, stable_ids

REVIEW_DIR_SUFFIX = "_reviews"
MAX_INDICATORS = 60  # indicator choices offered, the most reported first


def _plotly_js() -> str:
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise DataError("E172", what="The comparison page", package="plotly") from None
    return get_plotlyjs()


def _indicators(rec: dict) -> dict[str, list]:
    """Per canonical indicator the report's first level value and its unit (as in the indicator pivot)."""
    out: dict[str, list] = {}
    for unit in rec.get("units") or []:
        for q in unit.get("indicators") or []:
            name, value = q.get("canonical"), q.get("value")
            if name and q.get("role") == "level" and isinstance(value, (int, float)) and name not in out:
                out[name] = [value, q.get("unit")]
    return out


def report_data(rec: dict, stable_id: str, labels: Sequence[str], overrides: dict | None = None,
                review: str | None = None) -> dict:
    """What the page knows of one report: id, region, year, kind, title, content units and per label its
    units and share (None without content units: no share, an empty cell, not 0 %), its warning codes (a
    column of the page's table: W008 marks a page too short to be a report), the indicators, and the
    relative link to its review page."""
    meta = report_columns(rec, stable_id, overrides)
    content = [u for u in rec.get("units") or [] if u.get("kind") != "boilerplate"]
    counts = {label: sum(label in (u.get("labels") or []) for u in content) for label in labels}
    return {"id": stable_id, "region": meta["region"], "year": meta["year"], "kind": meta["kind"],
            "title": meta["title"], "content": len(content), "units": counts,
            "shares": {label: round(n / len(content), 4) if content else None for label, n in counts.items()},
            "warnings": [str(w.get("code")) for w in rec.get("warnings") or [] if isinstance(w, dict)],
            "indicators": _indicators(rec), "review": review}


def _indicator_names(reports: list[dict]) -> list[str]:
    counts: dict[str, int] = {}
    for r in reports:
        for name in r["indicators"]:
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: (-counts[n], n))[:MAX_INDICATORS]


def _csp(scripts: Sequence[str]) -> str:
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
                      for s in scripts)
    return (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data: blob:; "
            "font-src data:; connect-src data: blob:; base-uri 'none'; form-action 'none'")


def compare_html(records: Sequence[dict], *, title: str | None = None, reviews: dict[str, str] | None = None,
                 overrides: dict | None = None, roots: Sequence[str | Path] = ()) -> str:
    """The comparison page of annotated reports (reviewer-JSON dicts; error records are left out).
    `reviews`: recorded id → relative link of its review page. `overrides`: `metadata.read_overrides`."""
    records = [r for r in records if r.get("units") is not None]
    if not records:
        raise DataError("E174", paths="the records given")
    labels = labels_of(records)
    ids = stable_ids([str(r.get("id")) for r in records], roots)
    reports = [report_data(r, ids[str(r.get("id"))], labels, overrides, (reviews or {}).get(str(r.get("id"))))
               for r in records]
    data = {"labels": labels, "reports": reports, "indicators": _indicator_names(reports)}
    title = title or f"{len(reports)} reports compared"
    scripts = [_plotly_js(), _JS]
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_csp(scripts)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · policy_nlp</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{html.escape(title)}</h1><div class="filters">'
        '<fieldset id="filter-region"><legend>region</legend></fieldset>'
        '<fieldset id="filter-year"><legend>year</legend></fieldset>'
        '<fieldset id="filter-kind"><legend>kind</legend></fieldset></div>'
        f'<p><span id="shown">{len(reports)}</span> of {len(reports)} reports shown</p></header><main>'
        + "".join(f'<section class="chart"><h2>{html.escape(heading)}</h2>'
                  f'<div class="tools">{extra}<button data-chart="{name}" data-format="png">PNG</button>'
                  f'<button data-chart="{name}" data-format="svg">SVG</button></div>'
                  f'<div class="plot" id="chart-{name}"></div></section>' for name, heading, extra in _CHARTS)
        + '<section><h2>Reports</h2><table id="reports"><thead><tr><th>id</th><th>region</th><th>year</th>'
        '<th>kind</th><th>title</th><th>content units</th>'
        + "".join(f"<th>{html.escape(label)}</th>" for label in labels)
        + '<th>warnings</th><th>review</th></tr></thead><tbody></tbody></table></section></main>'
        f'<script type="application/json" id="compare-data">{script_json(data)}</script>'
        f"<script>{scripts[0]}</script><script>{scripts[1]}</script></body></html>\n"
    )


def _review_name(k: int, doc_id: str) -> str:
    stem = re.sub(r"[^\w.-]+", "_", Path(str(doc_id).split("#")[0]).stem)[:40] or "report"
    return f"{k:04d}-{stem}.html"


def write_compare(paths: Sequence[str | Path], output: str | Path, *, metadata: str | Path | None = None,
                  title: str | None = None, reviews: bool = True) -> dict:
    """`policy-nlp compare`: read annotated reports (`tables.iter_annotated`), write the page to `output` and,
    with `reviews`, one review page per report into `<output stem>_reviews/` (linked from the page). Returns
    {output, reports, skipped, reviews}. No annotated report raises E174."""
    from .document import AnnotatedDocument
    from .review_page import review_html

    overrides = read_overrides(metadata) if metadata else None
    records = list(iter_annotated(paths))
    done = [r for r in records if r.get("units") is not None]
    if not done:
        raise DataError("E174", paths=", ".join(map(str, paths)))
    output = Path(output)
    links: dict[str, str] = {}
    folder = output.with_name(output.stem + REVIEW_DIR_SUFFIX)
    if reviews:
        folder.mkdir(parents=True, exist_ok=True)
        for k, rec in enumerate(done):
            name = _review_name(k, str(rec.get("id")))
            atomic_write(folder / name, review_html([AnnotatedDocument.from_dict(rec)]))
            links[str(rec.get("id"))] = quote(f"{folder.name}/{name}")
    page = compare_html(done, title=title, reviews=links, overrides=overrides, roots=paths)
    atomic_write(output, page)
    return {"output": str(output), "reports": len(done), "skipped": len(records) - len(done),
            "reviews": str(folder) if reviews else None}


_CHARTS = (
    ("shares", "Theme shares per report, grouped by region and year", ""),
    ("heatmap", "Report × theme", ""),
    ("trend", "Each theme's share over the years, per region", ""),
    ("indicators", "An indicator over the years, per region",
     '<label>indicator <select id="indicator"></select></label>'),
)

_CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#222}
header{padding:10px 18px;background:#f4f6f8;border-bottom:1px solid #ccd}
h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:6px 0}
.filters{display:flex;gap:12px;flex-wrap:wrap}
fieldset{border:1px solid #ccd;padding:4px 8px;max-height:96px;overflow:auto}
fieldset label{margin-right:8px;white-space:nowrap;font-size:13px}
fieldset button.set{font-size:11px;margin-right:4px}
main{padding:8px 18px}
section.chart{margin:10px 0;border-top:1px solid #eee}
.tools{display:flex;gap:6px;align-items:center;font-size:13px}
.tools button{font-size:12px}
.plot{width:100%;min-height:380px}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #dde;padding:2px 6px;text-align:left}
td.num{text-align:right}
#reports td:nth-child(2),#reports td:nth-child(3){white-space:nowrap}
"""

_JS = r"""
(function(){
'use strict';
var D=JSON.parse(document.getElementById('compare-data').textContent);
var L=D.labels, filters={region:{},year:{},kind:{}};
var COLORS=['#4e79a7','#f28e2b','#59a14f','#e15759','#76b7b2','#edc948','#b07aa1','#ff9da7','#9c755f','#bab0ac'];
var FONT={family:'WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, sans-serif',size:12};
var CONFIG={displaylogo:false,responsive:true};
function esc(s){return String(s==null?'—':s).replace(/&/g,'&amp;').replace(/</g,'&lt;').replace(/>/g,'&gt;');}
function key(v){return v==null?'—':String(v);}
function order(a,b){return key(a.region)<key(b.region)?-1:key(a.region)>key(b.region)?1:
  key(a.year)<key(b.year)?-1:key(a.year)>key(b.year)?1:a.id<b.id?-1:a.id>b.id?1:0;}
function shown(){return D.reports.filter(function(r){
  return filters.region[key(r.region)]&&filters.year[key(r.year)]&&filters.kind[key(r.kind)];}).sort(order);}
function values(f){var out=[];D.reports.forEach(function(r){var k=key(r[f]);if(out.indexOf(k)<0)out.push(k);});
  return out.sort();}
function regions(rs){var out=[];rs.forEach(function(r){var k=key(r.region);if(out.indexOf(k)<0)out.push(k);});return out;}
function years(rs){var out=[];rs.forEach(function(r){if(r.year!=null&&out.indexOf(r.year)<0)out.push(r.year);});
  return out.sort();}
function color(k,all){return COLORS[all.indexOf(k)%COLORS.length];}
function base(extra){var l={font:FONT,margin:{l:60,r:20,t:10,b:60},legend:{orientation:'h'},
  paper_bgcolor:'#fff',plot_bgcolor:'#fff'};for(var k in extra)l[k]=extra[k];return l;}
function buildFilters(){
  ['region','year','kind'].forEach(function(f){
    var box=document.getElementById('filter-'+f);
    ['all','none'].forEach(function(which){
      var b=document.createElement('button');b.textContent=which;b.className='set';b.setAttribute('data-set',which);
      b.addEventListener('click',function(){Array.prototype.forEach.call(box.querySelectorAll('input'),function(cb){
        cb.checked=which==='all';filters[f][cb.value]=cb.checked;});render();});
      box.appendChild(b);
    });
    values(f).forEach(function(v){
      filters[f][v]=true;
      var lab=document.createElement('label'),cb=document.createElement('input');
      cb.type='checkbox';cb.checked=true;cb.value=v;cb.setAttribute('data-filter',f);
      cb.addEventListener('change',function(){filters[f][v]=cb.checked;render();});
      lab.appendChild(cb);lab.appendChild(document.createTextNode(' '+v));box.appendChild(lab);
    });
  });
  var sel=document.getElementById('indicator');
  D.indicators.forEach(function(n){var o=document.createElement('option');o.value=n;o.textContent=n;sel.appendChild(o);});
  sel.addEventListener('change',render);
}
function short(id){id=String(id);return id.length>28?id.slice(0,27)+'…':id;}
function ticks(rs){var seen={};return rs.map(function(r){var t=key(r.year),k=key(r.region)+'\u0000'+t;
  seen[k]=(seen[k]||0)+1;return esc(seen[k]>1?t+' #'+seen[k]:t);});}
function shares(rs){
  var x=[rs.map(function(r){return esc(r.region);}),ticks(rs)],ids=rs.map(function(r){return esc(r.id);});
  return L.map(function(l,j){return {type:'bar',name:esc(l),x:x,y:rs.map(function(r){return r.shares[l];}),
    customdata:ids,marker:{color:COLORS[j%COLORS.length]},
    hovertemplate:'%{customdata}<br>%{y:.1%}<extra>'+esc(l)+'</extra>'};});
}
function heatmap(rs){
  var seen={};
  return [{type:'heatmap',x:L.map(esc),y:rs.map(function(r){var t=esc(key(r.region)+' '+key(r.year)+' · '+short(r.id));
    seen[t]=(seen[t]||0)+1;return t+'\u200b'.repeat(seen[t]-1);}),customdata:rs.map(function(r){return L.map(function(){return esc(r.id);});}),
    z:rs.map(function(r){return L.map(function(l){return r.shares[l];});}),zmin:0,colorscale:'Blues',reversescale:true,
    hovertemplate:'%{customdata}<br>%{x}: %{z:.1%}<extra></extra>'}];
}
function trend(rs){
  var all=regions(D.reports),data=[];
  L.forEach(function(l,j){
    var ax=j?String(j+1):'';
    regions(rs).forEach(function(g){
      var pts=years(rs.filter(function(r){return key(r.region)===g;})).map(function(y){
        var n=0,c=0;rs.forEach(function(r){if(key(r.region)===g&&r.year===y){n+=r.units[l];c+=r.content;}});
        return [y,c?n/c:null];});
      data.push({type:'scatter',mode:'lines+markers',name:esc(g),legendgroup:esc(g),showlegend:j===0,
        x:pts.map(function(p){return p[0];}),y:pts.map(function(p){return p[1];}),xaxis:'x'+ax,yaxis:'y'+ax,
        line:{color:color(g,all)},hovertemplate:esc(g)+' %{x}: %{y:.1%}<extra>'+esc(l)+'</extra>'});
    });
  });
  return data;
}
function trendLayout(){
  var l=base({grid:{rows:1,columns:L.length,pattern:'independent'},annotations:[]});
  L.forEach(function(lab,j){var ax=j?String(j+1):'';
    l['xaxis'+ax]={tickformat:'d'};l['yaxis'+ax]={tickformat:'.0%',rangemode:'tozero'};
    l.annotations.push({text:esc(lab),xref:'x'+ax+' domain',yref:'y'+ax+' domain',x:0.5,y:1.08,showarrow:false});});
  l.margin.t=30;return l;
}
function indicators(rs){
  var name=document.getElementById('indicator').value,all=regions(D.reports),unit='';
  var data=regions(rs).map(function(g){
    var pts=[];years(rs).forEach(function(y){var s=0,n=0;
      rs.forEach(function(r){var v=r.indicators[name];if(v&&key(r.region)===g&&r.year===y){s+=v[0];n++;unit=v[1]||unit;}});
      if(n)pts.push([y,s/n]);});
    return {type:'scatter',mode:'lines+markers',name:esc(g),x:pts.map(function(p){return p[0];}),
      y:pts.map(function(p){return p[1];}),line:{color:color(g,all)},hovertemplate:esc(g)+' %{x}: %{y}<extra></extra>'};
  }).filter(function(t){return t.x.length;});
  return {data:data,layout:base({xaxis:{dtick:1,tickformat:'d'},yaxis:{title:{text:esc(name)+(unit?' ('+esc(unit)+')':'')}}})};
}
function table(rs){
  var body=document.querySelector('#reports tbody');
  while(body.firstChild)body.removeChild(body.firstChild);
  rs.forEach(function(r){
    var tr=document.createElement('tr');tr.setAttribute('data-id',r.id);
    [r.id,key(r.region),key(r.year),key(r.kind),key(r.title),r.content].concat(L.map(function(l){
      return r.shares[l]==null?'':(100*r.shares[l]).toFixed(1)+'%';})).forEach(function(v,i){
      var td=document.createElement('td');td.textContent=String(v);if(i>4)td.className='num';tr.appendChild(td);});
    var td=document.createElement('td');td.textContent=r.warnings.join(' ');tr.appendChild(td);
    td=document.createElement('td');
    if(r.review){var a=document.createElement('a');a.href=r.review;a.textContent='review';a.className='review';td.appendChild(a);}
    tr.appendChild(td);body.appendChild(tr);
  });
}
function render(){
  var rs=shown();
  document.getElementById('shown').textContent=String(rs.length);
  Plotly.react('chart-shares',shares(rs),base({barmode:'group',yaxis:{tickformat:'.0%'}}),CONFIG);
  Plotly.react('chart-heatmap',heatmap(rs),base({height:Math.max(320,22*rs.length+120),yaxis:{automargin:true,autorange:'reversed'}}),CONFIG);
  Plotly.react('chart-trend',trend(rs),trendLayout(),CONFIG);
  var ind=indicators(rs);Plotly.react('chart-indicators',ind.data,ind.layout,CONFIG);
  table(rs);
}
window.chartImage=function(name,format){
  return Plotly.toImage(document.getElementById('chart-'+name),{format:format,width:1200,height:600});};
Array.prototype.forEach.call(document.querySelectorAll('.tools button'),function(b){
  b.addEventListener('click',function(){var name=b.getAttribute('data-chart');
    Plotly.downloadImage(document.getElementById('chart-'+name),
      {format:b.getAttribute('data-format'),filename:'policy_nlp-'+name,width:1200,height:600});});
});
buildFilters();render();
window.compareReady=true;
})();
"""

__all__ = ["compare_html", "report_data", "write_compare"]
