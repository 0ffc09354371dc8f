"""tools/tempest/summarize.py counts each scenario of a Tempest test (the
image format tests have one per image) as a test of its own."""
import json
import os
import subprocess

import pytest

TOOLS = os.path.join(os.path.dirname(__file__), '..', '..', 'tools', 'tempest')
TEMPEST_PY = os.path.join(os.environ.get('BENCH', os.path.expanduser('~/bench')),
                          'tempest', 'venv', 'bin', 'python')

CHECK = '''
import json, sys
sys.path.insert(0, sys.argv[1])
import summarize
T = 'tempest.api.image.v2.test_images_formats.ImagesFormatTest.test_accept_usable_formats'
selected = [T + '[id-a245](raw)', T + '[id-a245](qcow2-backing-file)']
class Detail:
    def as_text(self): return 'not usable'
reported = {T + '(raw)': {'id': T + '(raw)', 'status': 'success', 'details': {}},
            T + '(qcow2-backing-file)': {'id': T + '(qcow2-backing-file)',
                                         'status': 'skip', 'details': {'reason': Detail()}}}
print(json.dumps(summarize.classify(selected, reported)))
'''


@pytest.mark.skipif(not os.path.exists(TEMPEST_PY),
                    reason="the host lacks Tempest's venv (python-subunit)")
def test_scenarios_are_counted_each():
    out = subprocess.run([TEMPEST_PY, '-c', CHECK, TOOLS], check=True,
                         capture_output=True, text=True).stdout
    outcomes = json.loads(out)
    assert sorted(status for status, _ in outcomes.values()) == ['passed', 'skipped']
    assert len(outcomes) == 2
