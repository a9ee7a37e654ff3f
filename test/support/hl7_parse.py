"""Parses one HL7 v2 message (stdin) with python-hl7 and prints its segments as JSON.

Field n of a segment is fields[n] (for MSH too: python-hl7 counts MSH-1, the field separator, as
field 1). Each field is given raw (as on the wire) and unescaped (python-hl7's Message.unescape).
"""
import json
import sys

import hl7

text = sys.stdin.buffer.read().decode("utf-8")
message = hl7.parse(text)
segments = []
for segment in message:
    fields = [str(f) for f in segment]
    segments.append({
        "name": fields[0],
        "fields": fields,
        "unescaped": [message.unescape(f) for f in fields],
        # components of each field (first repetition), unescaped
        "components": [[message.unescape(str(c)) for c in (f[0] if isinstance(f, hl7.Field) and len(f) and isinstance(f[0], hl7.Repetition) else [f])] for f in segment],
    })
json.dump({"segments": segments}, sys.stdout)
