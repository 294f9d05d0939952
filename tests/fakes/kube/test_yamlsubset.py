"""Tests of yamlsubset.py, the fake's reader for block-style Kubernetes YAML (the --crds files).

Run from the repo root: /usr/bin/python3 -m unittest discover -s tests/fakes/kube -v
"""

import glob
import os
import unittest

import yamlsubset

HERE = os.path.dirname(os.path.abspath(__file__))

SAMPLE = """\
# a comment
---
apiVersion: v1   # trailing comment
kind: List
items:
- name: a
  values: [1, "two", 'three', 4.5, true, null]
  map: {k: v, "q": 'x'}
  literal: |-
    line one
      indented
    line three
  folded: >
    folded
    text

    para
  plain: a multi
    line plain
  quoted: 'it''s
    folded'
  empty:
  emptyList: []
-   - nested
    - seq
- "#not a comment"
---
second: doc
"""


class YamlSubsetTest(unittest.TestCase):
    def test_block_style_constructs(self):
        try:
            import yaml
            self.assertEqual(yamlsubset.load_all(SAMPLE), list(yaml.safe_load_all(SAMPLE)))
        except ImportError:
            pass
        first, second = yamlsubset.load_all(SAMPLE)
        self.assertEqual(second, {"second": "doc"})
        self.assertEqual(first["apiVersion"], "v1")
        a, nested, hashed = first["items"]
        self.assertEqual(a["values"], [1, "two", "three", 4.5, True, None])
        self.assertEqual(a["map"], {"k": "v", "q": "x"})
        self.assertEqual(a["literal"], "line one\n  indented\nline three")
        self.assertEqual(a["folded"], "folded text\npara\n")
        self.assertEqual(a["plain"], "a multi line plain")
        self.assertEqual(a["quoted"], "it's folded")
        self.assertIsNone(a["empty"])
        self.assertEqual(a["emptyList"], [])
        self.assertEqual(nested, ["nested", "seq"])
        self.assertEqual(hashed, "#not a comment")

    def test_real_crds_match_pyyaml(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("PyYAML is not installed (the fake itself does not need it)")
        files = sorted(glob.glob(os.path.join(HERE, "crds", "*.yaml")))
        self.assertEqual(len(files), 3)
        for f in files[:1]:  # JobSet's: the TFJob and PyTorchJob files come from the same generator
            with open(f) as fh:
                text = fh.read()
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            self.assertEqual(yamlsubset.load_all(text), list(yaml.load_all(text, Loader=loader)), f)


if __name__ == "__main__":
    unittest.main()
