"""The committed cloudstack.conf.sample lists exactly the options the code has."""
import os

from oslo_config import generator

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir,
                      'etc', 'cloudstack', 'cloudstack.conf.sample')


def test_config_sample_is_current(tmp_path):
    out = tmp_path / 'sample'
    namespaces = ['cloudstack', 'oslo.log', 'oslo.middleware.cors',
                  'oslo.middleware.healthcheck', 'oslo.middleware.http_proxy_to_wsgi',
                  'oslo.middleware.sizelimit', 'oslo.policy']
    generator.main([arg for ns in namespaces for arg in ('--namespace', ns)] + [
                    '--wrap-width', '79',
                    '--output-file', str(out)])
    with open(SAMPLE) as f:
        assert out.read_text() == f.read(), \
            'run tools/generate-config-sample.sh and commit the result'
