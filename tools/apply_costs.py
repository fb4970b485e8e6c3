#!/usr/bin/env python3
"""Writes fitted values into the cost tables: apply_costs.py '<json>' '<source text>'.
Each entry's `value:` is replaced (single- or multi-line form); the source is left as is
unless a new one is given."""
import json, re, sys
vals = json.loads(sys.argv[1])
files = ['src/board/cost_model.ts', 'src/sddf/costs.ts', 'src/baseline/costs.ts', 'src/vmm/costs.ts', 'src/guest/costs.ts']
done = set()
for p in files:
    s = open(p).read()
    for k, v in vals.items():
        v = round(v) if abs(v) >= 10 else round(v, 2)
        pat = re.compile(r"(\n  %s: \{\s*value: )[0-9.]+" % re.escape(k))
        s, n = pat.subn(lambda m: m.group(1) + str(v), s)
        if n: done.add(k)
    open(p, 'w').write(s)
missing = set(vals) - done
if missing: print('not found:', missing); sys.exit(1)
print('applied', len(done))
