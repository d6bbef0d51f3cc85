"""`/docs`: the API's interactive page, built from its OpenAPI schema, with nothing loaded from elsewhere.

Why not FastAPI's Swagger UI: its page loads the Swagger bundle from a CDN, which a machine without
internet (or a reviewer's firewall) cannot reach, and which would see every page view. This page is
one HTML document with its script inline: each operation with its parameters, the request body's
fields, an example body, and a form that sends the request with a bearer token and shows the reply.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}
h2{margin-top:2em;border-bottom:1px solid #ccc} code,textarea,pre{font:13px ui-monospace,monospace}
.op{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.m{display:inline-block;min-width:4em;font-weight:bold} .GET{color:#06c} .POST{color:#080}
textarea{width:100%;min-height:8em} pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap;overflow-x:auto}
table{border-collapse:collapse} td{padding:.1em .8em .1em 0;vertical-align:top}
"""

_SCRIPT = """
async function send(form){
  const out=form.querySelector('pre.out'); const path=form.dataset.path.replace(/{(\\w+)}/g,
    (m,n)=>encodeURIComponent(form.elements['p_'+n].value));
  const h={}; const tok=document.getElementById('token').value.trim();
  if(tok) h['Authorization']='Bearer '+tok;
  const key=form.elements['idem']; if(key&&key.value.trim()) h['Idempotency-Key']=key.value.trim();
  const init={method:form.dataset.method,headers:h};
  if(form.elements['body']){h['Content-Type']='application/json'; init.body=form.elements['body'].value;}
  out.textContent='...';
  try{const r=await fetch(path,init); const t=await r.text(); let s=t;
    try{s=JSON.stringify(JSON.parse(t),null,2)}catch(e){}
    out.textContent=r.status+' '+r.statusText+'\\n'+s;}
  catch(e){out.textContent=String(e)}
  return false;
}
"""


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return dict(root["components"]["schemas"][ref.rsplit("/", 1)[1]])
    return schema


def _example(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> Any:
    """A small example value of a schema: required fields only, the first allowed value of each."""
    s = _resolve(schema, root)
    if "example" in s:
        return s["example"]
    if "anyOf" in s:
        return _example(s["anyOf"][0], root, depth + 1)
    if "enum" in s:
        return s["enum"][0]
    t = s.get("type")
    if t == "object" and depth < 4:
        req = s.get("required", [])
        return {k: _example(v, root, depth + 1) for k, v in s.get("properties", {}).items() if k in req}
    if t == "array" and depth < 4:
        return [_example(s.get("items", {}), root, depth + 1)]
    return {"integer": 0, "number": 0, "boolean": False}.get(str(t), "...")


def _fields(schema: dict[str, Any], root: dict[str, Any]) -> str:
    s = _resolve(schema, root)
    rows = []
    req = set(s.get("required", []))
    for name, prop in s.get("properties", {}).items():
        desc = _resolve(prop, root).get("description") or prop.get("description") or ""
        mark = " (required)" if name in req else ""
        rows.append(f"<tr><td><code>{escape(name)}</code>{mark}</td><td>{escape(desc)}</td></tr>")
    return f"<table>{''.join(rows)}</table>" if rows else ""


def docs_page(spec: dict[str, Any]) -> str:
    """The whole page for an OpenAPI document (every text in it escaped)."""
    info = spec.get("info", {})
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{escape(str(info.get('title', 'API')))}</title><style>{_STYLE}</style>",
        f"<script>{_SCRIPT}</script></head><body>",
        f"<h1>{escape(str(info.get('title', 'API')))} <small>{escape(str(info.get('version', '')))}</small></h1>",
        f"<p>{escape(str(info.get('description', '')))}</p>",
        "<p>Bearer token (kept in this page only): <input id='token' type='password' size='40'></p>",
        "<p>The schema itself: <a href='openapi.json'>openapi.json</a></p>",
    ]
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            m = method.upper()
            parts.append("<div class='op'>")
            parts.append(f"<h3><span class='m {m}'>{m}</span> <code>{escape(path)}</code></h3>")
            parts.append(f"<p>{escape(op.get('summary', ''))}</p><pre>{escape(op.get('description', ''))}</pre>")
            form = [f"<form data-path='{escape(path)}' data-method='{m}' onsubmit='return send(this)'>"]
            for p in op.get("parameters", []):
                name = str(p.get("name", ""))
                if p.get("in") == "path":
                    form.append(f"<p><code>{escape(name)}</code>: <input name='p_{escape(name)}'></p>")
                elif name.lower() == "idempotency-key":
                    form.append("<p><code>Idempotency-Key</code> (optional): <input name='idem' size='30'></p>")
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                parts.append(_fields(body, spec))
                example = json.dumps(_example(body, spec), ensure_ascii=False, indent=2)
                form.append(f"<textarea name='body'>{escape(example)}</textarea>")
            form.append("<p><button>Send</button></p><pre class='out'></pre></form>")
            parts.append("".join(form) + "</div>")
    parts.append("</body></html>")
    return "".join(parts)
