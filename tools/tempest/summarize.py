#!/usr/bin/env python3
"""Count a Tempest run's results per service from its subunit stream.

usage: summarize.py STREAM.subunit SELECTED.txt --json OUT.json --failed OUT.txt

Every selected test is counted once: passed, skipped, or failed. A test of a
class whose setUpClass failed or was skipped gets that outcome; a test that
never reported (worker crash, timeout) is failed; a failed tearDownClass is one
more failure. Prints the failed test ids, and last: `N passed, M failed, K skipped`.
"""
import argparse
import collections
import json
import re

import subunit
import testtools

FIXTURE = re.compile(r'^(setUpClass|tearDownClass|setUpModule|tearDownModule) \((.+)\)$')
OUTCOME = {'success': 'passed', 'xfail': 'passed', 'skip': 'skipped'}  # anything else failed


def name_of(test_id):
    """The id without its [attributes]; a scenario's (name) stays."""
    return re.sub(r'\[[^\]]*\]', '', test_id)


def service_of(test_id):
    match = re.match(r'tempest\.(?:serial_tests\.)?(?:api\.)?([a-z_]+)\.', test_id)
    return match.group(1) if match else 'other'


def read_stream(path):
    tests = {}
    with open(path, 'rb') as stream:
        result = testtools.StreamToDict(lambda test: tests.__setitem__(test['id'], test))
        result.startTestRun()
        try:
            subunit.ByteStreamToStreamResult(stream, non_subunit_name='stdout').run(result)
        finally:
            result.stopTestRun()
    return tests


def reason_of(test):
    for key in ('reason', 'traceback'):
        detail = test['details'].get(key)
        if detail is not None:
            lines = [line for line in detail.as_text().splitlines() if line.strip()]
            return lines[-1].strip()[:200] if lines else ''
    return ''


def classify(selected, reported):
    """Return {test id: (outcome, reason)} for every selected test and failed fixture."""
    by_name, class_fixture, outcomes = {}, {}, {}
    for test_id, test in reported.items():
        match = FIXTURE.match(test_id)
        status = OUTCOME.get(test['status'], 'failed')
        if not match:
            by_name[name_of(test_id)] = test
        elif match.group(1) == 'setUpClass' and status != 'passed':
            class_fixture[match.group(2)] = (status, reason_of(test))
        elif status == 'failed':
            outcomes[test_id] = ('failed', reason_of(test))
    for test_id in selected:
        test = by_name.pop(name_of(test_id), None)
        if test is not None:
            status = OUTCOME.get(test['status'], 'failed')
            outcomes[test_id] = (status, reason_of(test) if status != 'passed' else '')
        else:
            test_class = name_of(test_id).rsplit('.', 1)[0]
            outcomes[test_id] = class_fixture.get(
                test_class, ('failed', 'never reported (crash or timeout?)'))
    for name, test in by_name.items():  # ran although not listed
        outcomes[test['id']] = (OUTCOME.get(test['status'], 'failed'), reason_of(test))
    return outcomes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('stream')
    ap.add_argument('selected')
    ap.add_argument('--json', required=True)
    ap.add_argument('--failed', required=True)
    args = ap.parse_args()
    with open(args.selected) as f:
        selected = [line.strip() for line in f if line.strip()]
    outcomes = classify(selected, read_stream(args.stream))

    per_service = collections.defaultdict(collections.Counter)
    for test_id, (outcome, _) in outcomes.items():
        per_service[service_of(FIXTURE.sub(r'\2', test_id))][outcome] += 1
    totals = sum(per_service.values(), collections.Counter())
    for service, counts in sorted(per_service.items()):
        print('  %-16s %4d passed, %4d failed, %4d skipped' % (
            service, counts['passed'], counts['failed'], counts['skipped']))
    failed = sorted((t, why) for t, (outcome, why) in outcomes.items() if outcome == 'failed')
    with open(args.failed, 'w') as f:
        f.writelines('%s\n' % test_id for test_id, _ in failed)
    with open(args.json, 'w') as f:
        json.dump({'totals': dict(totals), 'services': per_service,
                   'tests': {t: {'outcome': o, 'reason': r} for t, (o, r) in outcomes.items()}},
                  f, indent=1, sort_keys=True)
    if failed:
        print('failed tests (%d):' % len(failed))
        for test_id, why in failed:
            print('  %s  :: %s' % (test_id, why))
    print('%d passed, %d failed, %d skipped' % (
        totals['passed'], totals['failed'], totals['skipped']))


if __name__ == '__main__':
    main()
