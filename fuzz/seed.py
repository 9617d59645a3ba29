#!/usr/bin/env python3
"""Writes the seed corpus (fuzz/corpus/<target>/) from what real calls carried and what the
specs show: the signaling transcripts of call reports (`dialtone call ... --report x.json`:
every SDP, every CloudEvent and Alexa message, secrets already taken out), the SDP examples in
the CAMARA YAMLs, and a list of numbers as people type them. Run it again to refresh:
    fuzz/seed.py REPORT.json... (see fuzz/README.md for the calls)
"""
import hashlib, json, pathlib, sys
import yaml

root = pathlib.Path(__file__).resolve().parent
corpus = root / "corpus"

def put(target, text):
    data = text.encode() if isinstance(text, str) else text
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)

def walk(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "sdp" and isinstance(v, str) and v.startswith("v=0"):
                yield v
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)

for report in sys.argv[1:]:
    for m in json.load(open(report))["messages"]:
        body = m.get("body") or ""
        if m["kind"] == "sdp":
            put("sdp", body)
        elif m["kind"] == "incoming":
            target = "camara_event" if m["operation"].startswith("org.camaraproject") else "alexa_message"
            put(target, body)
            put("intake", b"\x10" + b"A" * 16 + body.encode())
        elif m["kind"] in ("request", "response") and body.startswith("{"):
            put("alexa_message" if '"sessionId"' in body else "intake", body)

for spec in sorted((root.parent / "tests/contract/specs").glob("*/*.yaml")):
    for sdp in walk(yaml.safe_load(spec.read_text())):
        put("sdp", sdp.replace("\r\n", "\n").replace("\n", "\r\n"))

for n in ["+15550101", "+44 909 879 0000", "020 7946 0018", "+1 (415) 555-2671", "tel:+15550100",
          "alexa:kitchen", "lex:DEMOBOT001/TSTALIASID/en_US", "+34 901 123 456", "00447911123456",
          "+800 1234 5678", "555-0101", "+1555010", "tel:+1-201-555-0123;ext=1234"]:
    put("numbers", n)
